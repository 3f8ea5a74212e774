// The uncontended append path: an appender that finds no leader at work
// and nobody queued writes its batch without the group-commit queue. It
// must leave exactly what the queued path leaves: the same records at the
// same LSNs, the same segment sizes, the same stats and the same PROGRESS.
// The queued path is taken here by append_async, which always queues.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "strata/durability/log/progress.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testutil::payload_for;
using testutil::read_all;

std::unique_ptr<LogWriter> open_log(Env* env, const std::string& dir,
                                    DurabilityMode mode) {
  LogWriterOptions o;
  o.env = env;
  o.mode = mode;
  o.segment_size = 4096;  // several rotations
  auto w = LogWriter::open(dir, o);
  EXPECT_TRUE(w.ok()) << w.status().to_string();
  return w.ok() ? std::move(w).value() : nullptr;
}

// Batch i: one to four records of assorted sizes.
std::vector<std::string> batch_for(int i) {
  std::vector<std::string> records;
  const int n = 1 + i % 4;
  for (int k = 0; k < n; ++k) {
    records.push_back(
        payload_for(i * 10 + k, static_cast<std::size_t>(1 + (i * 37) % 300)));
  }
  return records;
}

// Segment file names and sizes, in name order.
std::vector<std::pair<std::string, uint64_t>> segment_sizes(
    Env* env, const std::string& dir) {
  std::vector<std::pair<std::string, uint64_t>> out;
  auto names = env->list_dir(dir);
  EXPECT_TRUE(names.ok());
  if (!names.ok()) return out;
  for (const std::string& n : *names) {
    if (!parse_segment_file_name(n).has_value()) continue;
    auto bytes = read_file(env, join_path(dir, n));
    EXPECT_TRUE(bytes.ok());
    out.emplace_back(n, bytes.ok() ? bytes->size() : 0);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same_stats(const LogWriterStats& a, const LogWriterStats& b) {
  EXPECT_EQ(a.appends, b.appends);
  EXPECT_EQ(a.records, b.records);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.groups, b.groups);
  EXPECT_EQ(a.syncs, b.syncs);
  EXPECT_EQ(a.rotations, b.rotations);
  EXPECT_EQ(a.max_group_size, b.max_group_size);
  EXPECT_EQ(a.group_size_histogram, b.group_size_histogram);
}

TEST(LogLoneLeaderTest, UncontendedAndQueuedAppendsLeaveTheSameLogAndStats) {
  auto env = new_mem_env();
  auto lone = open_log(env.get(), "/lone", DurabilityMode::none());
  auto queued = open_log(env.get(), "/queued", DurabilityMode::none());
  ASSERT_NE(lone, nullptr);
  ASSERT_NE(queued, nullptr);
  int called_back = 0;
  for (int i = 0; i < 300; ++i) {
    const std::vector<std::string> records = batch_for(i);
    const std::vector<std::string_view> views(records.begin(), records.end());
    std::vector<Lsn> lone_lsns(views.size()), queued_lsns(views.size());
    auto a = lone->append(views, {}, lone_lsns);
    auto b = queued->append_async(
        views, [&](const Status& s) { called_back += s.ok() ? 1 : 0; }, {},
        queued_lsns);
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    EXPECT_EQ(a->first_lsn, b->first_lsn);
    EXPECT_EQ(a->last_lsn, b->last_lsn);
    EXPECT_EQ(a->end_lsn, b->end_lsn);
    EXPECT_EQ(lone_lsns, queued_lsns);
    EXPECT_EQ(lone->end_lsn(), a->end_lsn);
    // PROGRESS is published before append returns, on either path.
    auto pa = read_published_progress(env.get(), "/lone");
    auto pb = read_published_progress(env.get(), "/queued");
    ASSERT_TRUE(pa.ok()) << pa.status().to_string();
    ASSERT_TRUE(pb.ok()) << pb.status().to_string();
    EXPECT_EQ(pa->end_lsn, a->end_lsn);
    EXPECT_EQ(pb->end_lsn, b->end_lsn);
    EXPECT_EQ(pa->sequence, pb->sequence);
  }
  EXPECT_EQ(called_back, 300);
  expect_same_stats(lone->stats(), queued->stats());
  EXPECT_EQ(lone->stats().appends, 300U);
  EXPECT_EQ(lone->stats().max_group_size, 1U);
  EXPECT_GT(lone->stats().rotations, 2U);
  EXPECT_EQ(segment_sizes(env.get(), "/lone"),
            segment_sizes(env.get(), "/queued"));
  ASSERT_TRUE(lone->close().ok());
  ASSERT_TRUE(queued->close().ok());
  auto ra = read_all(env.get(), "/lone");
  auto rb = read_all(env.get(), "/queued");
  ASSERT_TRUE(ra.status.ok()) << ra.status.to_string();
  ASSERT_TRUE(rb.status.ok()) << rb.status.to_string();
  EXPECT_EQ(ra.payloads, rb.payloads);
  EXPECT_EQ(ra.lsns, rb.lsns);
  EXPECT_EQ(ra.payloads.size(), lone->stats().records);
}

TEST(LogLoneLeaderTest, UncontendedStrictAppendIsDurableWhenItReturns) {
  auto env = new_mem_env();
  auto w = open_log(env.get(), "/log", DurabilityMode::strict());
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < 100; ++i) {
    const std::vector<std::string> records = batch_for(i);
    const std::vector<std::string_view> views(records.begin(), records.end());
    auto r = w->append(views);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(w->durable_lsn(), r->end_lsn);
    auto p = read_published_progress(env.get(), "/log");
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    EXPECT_EQ(p->durable_lsn, r->end_lsn);
  }
  const LogWriterStats s = w->stats();
  EXPECT_EQ(s.appends, 100U);
  EXPECT_EQ(s.groups, 100U);
  // One sync per append, and one per rotation (the sealed segment).
  EXPECT_EQ(s.syncs, s.appends + s.rotations);
  uint64_t timed = 0;
  for (uint64_t c : s.sync_micros_histogram) timed += c;
  EXPECT_EQ(timed, s.appends);  // a rotation's sync is not timed
  ASSERT_TRUE(w->close().ok());
}

TEST(LogLoneLeaderTest, PublishedProgressCountsEveryUncontendedAppend) {
  auto env = new_mem_env();
  auto w = open_log(env.get(), "/log", DurabilityMode::none());
  ASSERT_NE(w, nullptr);
  auto first = read_published_progress(env.get(), "/log");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  uint64_t sequence = first->sequence;
  for (int i = 0; i < 50; ++i) {
    auto r = w->append(payload_for(i));
    ASSERT_TRUE(r.ok());
    // The rewritten record decodes (its checksum covers the new LSNs) and
    // says the writer is still open.
    auto p = read_published_progress(env.get(), "/log");
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    EXPECT_EQ(p->sequence, ++sequence);
    EXPECT_EQ(p->end_lsn, r->end_lsn);
    EXPECT_EQ(p->durable_lsn, first->durable_lsn);  // None syncs nothing
    EXPECT_TRUE(p->writer_open);
    EXPECT_EQ(p->log_id, w->log_id());
  }
  ASSERT_TRUE(w->close().ok());
  auto last = read_published_progress(env.get(), "/log");
  ASSERT_TRUE(last.ok()) << last.status().to_string();
  EXPECT_FALSE(last->writer_open);
  EXPECT_EQ(last->sequence, sequence + 1);
}

}  // namespace
}  // namespace strata::durability::log
