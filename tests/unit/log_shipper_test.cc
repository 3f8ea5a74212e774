// LogShipper: the replica is a byte-identical, verified prefix of the
// source's durable segments; it resumes after a crash at any of its own
// Env operations, follows rotation and retirement, and refuses a
// destination that diverged.

#include "strata/durability/log/log_shipper.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/log/progress.h"
#include "strata/durability/log/slot.h"
#include "strata/durability/testing/fault_injection_env.h"
#include "log/progress_file.h"
#include "support/log_test_util.h"

namespace strata::durability::log {
namespace {

using testing::FaultInjectionEnv;
using testutil::payload_for;
using testutil::read_all;

constexpr const char* kSrc = "/t/src";
constexpr const char* kDst = "/t/dst";

std::unique_ptr<LogWriter> open_writer(
    Env* env, const std::string& dir,
    DurabilityMode mode = DurabilityMode::strict()) {
  LogWriterOptions o;
  o.env = env;
  o.mode = mode;
  o.segment_size = 400;
  auto w = LogWriter::open(dir, o);
  EXPECT_TRUE(w.ok()) << w.status().to_string();
  return w.ok() ? std::move(*w) : nullptr;
}

// Appends records [from, to): every third append is a batch of three.
void append_records(LogWriter* w, int from, int to) {
  for (int i = from; i < to;) {
    if (i % 3 == 0 && i + 3 <= to) {
      std::vector<std::string> batch = {
          payload_for(i, 30), payload_for(i + 1, 30), payload_for(i + 2, 30)};
      std::vector<std::string_view> views(batch.begin(), batch.end());
      ASSERT_TRUE(w->append(views).ok());
      i += 3;
    } else {
      ASSERT_TRUE(w->append(payload_for(i, 30)).ok());
      ++i;
    }
  }
}

std::vector<std::string> expected_records(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(payload_for(i, 30));
  return out;
}

// Checks that a refused ship is an error of kind `code` whose message
// names `word`.
void expect_refused(const Status& s, StatusCode code, std::string_view word) {
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.to_string().find(word), std::string::npos) << s.to_string();
}

Result<ShipReport> ship(Env* env, const LogShipperOptions& extra = {},
                        ShipResumeReport* resume = nullptr) {
  LogShipperOptions o = extra;
  o.env = env;
  auto shipper = LogShipper::open(kSrc, kDst, o, resume);
  if (!shipper.ok()) return shipper.status();
  return (*shipper)->ship_once();
}

std::vector<uint64_t> segment_numbers(Env* env, const std::string& dir) {
  std::vector<uint64_t> out;
  auto names = env->list_dir(dir);
  if (!names.ok()) return out;
  for (const auto& n : *names) {
    if (auto num = parse_segment_file_name(n)) out.push_back(*num);
  }
  return out;
}

// Every destination segment is a prefix of the source's file of that
// number (when `complete`, the whole file but for the zeros a preallocated
// source segment goes on with).
void expect_byte_prefix(Env* env, bool complete) {
  for (uint64_t n : segment_numbers(env, kDst)) {
    auto src = read_file(env, testutil::segment_path(kSrc, n));
    if (!src.ok()) continue;  // retired on the source
    std::string dst = testutil::must_read(env, testutil::segment_path(kDst, n));
    ASSERT_LE(dst.size(), src->size()) << "segment " << n;
    EXPECT_EQ(src->substr(0, dst.size()), dst) << "segment " << n;
    if (complete) {
      EXPECT_EQ(src->find_first_not_of('\0', dst.size()), std::string::npos)
          << "segment " << n;
    }
  }
}

// The records of the replica are the first k of `want` (k >= at_least).
void expect_record_prefix(Env* env, const std::vector<std::string>& want,
                          std::size_t at_least = 0) {
  auto got = read_all(env, kDst);
  ASSERT_TRUE(got.status.ok()) << got.status.to_string();
  ASSERT_TRUE(got.problems.empty()) << got.problems[0].to_string();
  ASSERT_LE(got.payloads.size(), want.size());
  ASSERT_GE(got.payloads.size(), at_least);
  for (std::size_t i = 0; i < got.payloads.size(); ++i) {
    ASSERT_EQ(got.payloads[i], want[i]) << "record " << i;
  }
}

void copy_dir(Env* env, const std::string& from, const std::string& to) {
  ASSERT_TRUE(env->create_dir(to).ok());
  auto names = env->list_dir(from);
  ASSERT_TRUE(names.ok());
  for (const auto& n : *names) {
    if (n == "LOCK") continue;
    testutil::must_write(env, join_path(to, n),
                         testutil::must_read(env, join_path(from, n)));
  }
}

class LogShipperTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_->create_dir("/t").ok()); }
  std::unique_ptr<Env> env_ = new_mem_env();
};

TEST_F(LogShipperTest, ReplicaIsByteIdenticalAndReadable) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 60);
  auto r = ship(env_.get());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->shipped_lsn, w->end_lsn());
  EXPECT_GT(r->segments_created, 3u);
  EXPECT_EQ(r->records, 60u + r->segments_created - 1);  // seals counted
  expect_byte_prefix(env_.get(), true);
  expect_record_prefix(env_.get(), expected_records(60), 60);
  EXPECT_EQ(testutil::must_read(env_.get(), "/t/src/START"),
            testutil::must_read(env_.get(), "/t/dst/START"));
}

TEST_F(LogShipperTest, PreallocatedSourceShipsItsRecordsNotItsZeros) {
  auto w = open_writer(env_.get(), kSrc);
  for (int i = 0; i < 60; i += 6) {
    append_records(w.get(), i, i + 6);
    // Every rotation then goes into a zero-filled segment.
    WriterAccess::wait_preparer_idle(w.get());
  }
  ASSERT_GT(w->stats().preallocated_segments, 2u);
  ASSERT_EQ(w->stats().preallocated_segments, w->stats().rotations);
  for (bool unsynced : {false, true}) {
    LogShipperOptions o;
    o.ship_unsynced = unsynced;
    auto r = ship(env_.get(), o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->shipped_lsn, w->end_lsn());
    expect_byte_prefix(env_.get(), true);
    expect_record_prefix(env_.get(), expected_records(60), 60);
  }
  // The zero tails are not shipped (the replica's segments grow as
  // written), and the replica opens for writing as a log.
  uint64_t src_bytes = 0;
  uint64_t dst_bytes = 0;
  for (uint64_t n : segment_numbers(env_.get(), kDst)) {
    src_bytes += *env_->file_size(testutil::segment_path(kSrc, n));
    dst_bytes += *env_->file_size(testutil::segment_path(kDst, n));
  }
  EXPECT_LT(dst_bytes, src_bytes);
  ASSERT_TRUE(w->close().ok());
  LogWriterOptions ro;
  ro.env = env_.get();
  ro.create_if_missing = false;
  OpenReport report;
  auto replica = LogWriter::open(kDst, ro, &report);
  ASSERT_TRUE(replica.ok()) << replica.status().to_string();
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.end_lsn, w->end_lsn());
}

TEST_F(LogShipperTest, ReplicaPublishesItsOwnProgressForTailers) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 12);
  LogShipperOptions o;
  o.env = env_.get();
  auto shipper = LogShipper::open(kSrc, kDst, o);
  ASSERT_TRUE(shipper.ok());
  ASSERT_TRUE((*shipper)->ship_once().ok());
  auto p = read_published_progress(env_.get(), kDst);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->durable_lsn, w->end_lsn());
  EXPECT_EQ(p->log_id, w->log_id());
  EXPECT_TRUE(p->writer_open);
  ASSERT_TRUE((*shipper)->close().ok());
  p = read_published_progress(env_.get(), kDst);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_FALSE(p->writer_open);
}

TEST_F(LogShipperTest, ShipsNothingThatIsNotDurableOnTheSource) {
  auto w = open_writer(env_.get(), kSrc, DurabilityMode::none());
  append_records(w.get(), 0, 6);  // one segment: no rotation syncs it
  auto r = ship(env_.get());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->records, 0u);
  EXPECT_EQ(r->shipped_lsn, 0u);
  ASSERT_TRUE(w->sync().ok());
  r = ship(env_.get());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->shipped_lsn, w->end_lsn());
  expect_record_prefix(env_.get(), expected_records(6), 6);
}

TEST_F(LogShipperTest, SourceWithoutProgressShipsNothingUnlessAsked) {
  LogWriterOptions wo;
  wo.env = env_.get();
  wo.segment_size = 400;
  wo.publish_progress = false;
  auto w = LogWriter::open(kSrc, wo);
  ASSERT_TRUE(w.ok());
  append_records(w->get(), 0, 5);
  auto r = ship(env_.get());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(r->source_progress_ok);
  EXPECT_EQ(r->records, 0u);
  LogShipperOptions unsynced;
  unsynced.ship_unsynced = true;
  r = ship(env_.get(), unsynced);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->shipped_lsn, (*w)->end_lsn());
  expect_record_prefix(env_.get(), expected_records(5), 5);
}

TEST_F(LogShipperTest, FollowsRotationAcrossPasses) {
  auto w = open_writer(env_.get(), kSrc);
  LogShipperOptions o;
  o.env = env_.get();
  auto shipper = LogShipper::open(kSrc, kDst, o);
  ASSERT_TRUE(shipper.ok()) << shipper.status().to_string();
  for (int round = 0; round < 8; ++round) {
    append_records(w.get(), round * 7, round * 7 + 7);
    auto r = (*shipper)->ship_once();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->shipped_lsn, w->end_lsn());
    expect_record_prefix(env_.get(), expected_records(56), round * 7 + 7);
  }
  expect_byte_prefix(env_.get(), false);
  // Failover: the replica opens for writing like any log.
  ASSERT_TRUE((*shipper)->close().ok());
  auto replica = open_writer(env_.get(), kDst);
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(replica->end_lsn(), w->end_lsn());
}

TEST_F(LogShipperTest, DestinationOfAnotherLogIsRefusedUntouched) {
  auto other = open_writer(env_.get(), kDst);
  append_records(other.get(), 0, 5);
  ASSERT_TRUE(other->close().ok());
  std::string before = testutil::must_read(env_.get(), "/t/dst/START");
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 5);
  auto r = ship(env_.get());
  ASSERT_FALSE(r.ok());
  expect_refused(r.status(), StatusCode::kInvalidArgument, "diverges");
  EXPECT_EQ(before, testutil::must_read(env_.get(), "/t/dst/START"));
  auto still = read_all(env_.get(), kDst);
  EXPECT_EQ(still.payloads.size(), 5u);
}

TEST_F(LogShipperTest, ForkedHistoryIsRefused) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 10);
  ASSERT_TRUE(w->close().ok());
  copy_dir(env_.get(), kSrc, "/t/fork");
  w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 10, 20);
  auto f = open_writer(env_.get(), "/t/fork");
  append_records(f.get(), 100, 110);  // same log id, other records
  ASSERT_TRUE(f->close().ok());
  LogShipperOptions o;
  o.env = env_.get();
  auto from_fork = LogShipper::open("/t/fork", kDst, o);
  ASSERT_TRUE(from_fork.ok());
  ASSERT_TRUE((*from_fork)->ship_once().ok());
  ASSERT_TRUE((*from_fork)->close().ok());
  auto r = ship(env_.get());
  ASSERT_FALSE(r.ok());
  expect_refused(r.status(), StatusCode::kInvalidArgument, "diverges");
}

TEST_F(LogShipperTest, ReplicaAheadOfARestoredSourceIsRefused) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 4);
  ASSERT_TRUE(w->close().ok());
  copy_dir(env_.get(), kSrc, "/t/backup");
  w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 4, 8);
  ASSERT_TRUE(w->close().ok());
  ASSERT_TRUE(ship(env_.get()).ok());
  // The primary is restored from its backup: it no longer has what the
  // replica holds.
  LogShipperOptions o;
  o.env = env_.get();
  auto r = LogShipper::open("/t/backup", kDst, o);
  ASSERT_FALSE(r.ok());
  expect_refused(r.status(), StatusCode::kInvalidArgument, "ahead");
}

TEST_F(LogShipperTest, DamagedSourceIsNotShipped) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 3);
  ASSERT_TRUE(w->close().ok());
  std::string path = testutil::segment_path(kSrc, 1);
  std::string bytes = testutil::must_read(env_.get(), path);
  bytes[kSegmentHeaderSize + 20] ^= 0x40;  // inside the first record
  testutil::must_write(env_.get(), path, bytes);
  auto r = ship(env_.get());
  ASSERT_FALSE(r.ok());
  expect_refused(r.status(), StatusCode::kCorruption, path);
  EXPECT_EQ(
      testutil::must_read(env_.get(), testutil::segment_path(kDst, 1)).size(),
      kSegmentHeaderSize);
}

TEST_F(LogShipperTest, MirrorsRetirementWhenAsked) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 40);
  ASSERT_TRUE(ship(env_.get()).ok());
  auto removed = w->remove_segments_before(w->end_lsn());
  ASSERT_TRUE(removed.ok());
  ASSERT_GT(*removed, 0u);
  append_records(w.get(), 40, 50);

  // Without mirroring the replica keeps its whole history.
  ASSERT_TRUE(ship(env_.get()).ok());
  expect_record_prefix(env_.get(), expected_records(50), 50);

  LogShipperOptions mirror;
  mirror.mirror_retirement = true;
  auto r = ship(env_.get(), mirror);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->segments_retired, *removed);
  EXPECT_EQ(segment_numbers(env_.get(), kDst),
            segment_numbers(env_.get(), kSrc));
  EXPECT_EQ(testutil::must_read(env_.get(), "/t/src/START"),
            testutil::must_read(env_.get(), "/t/dst/START"));
  auto src = read_all(env_.get(), kSrc);
  auto dst = read_all(env_.get(), kDst);
  ASSERT_TRUE(dst.status.ok()) << dst.status.to_string();
  EXPECT_EQ(src.payloads, dst.payloads);
}

TEST_F(LogShipperTest, RetiredUnshippedSegmentIsAGapError) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 5);
  ASSERT_TRUE(ship(env_.get()).ok());
  append_records(w.get(), 5, 60);
  ASSERT_TRUE(w->remove_segments_before(w->end_lsn()).ok());
  auto r = ship(env_.get());
  ASSERT_FALSE(r.ok());
  expect_refused(r.status(), StatusCode::kNotFound, "gap");
}

TEST_F(LogShipperTest, SecondShipperOnTheSameReplicaIsBusy) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 5);
  LogShipperOptions o;
  o.env = env_.get();
  auto first = LogShipper::open(kSrc, kDst, o);
  ASSERT_TRUE(first.ok());
  auto second = LogShipper::open(kSrc, kDst, o);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().is_busy()) << second.status().to_string();
}

// Crashes the shipper (a power cut, with the last write torn in each way,
// and a process crash) after every prefix of its Env operations: the
// replica is then always a verified record prefix of the source, and a new
// shipper completes it byte for byte.
TEST(LogShipperCrash, ResumesAfterACrashAtEveryShipperOperation) {
  for (bool fresh : {true, false}) {
    SCOPED_TRACE(fresh ? "fresh replica" : "replica half shipped");
    auto base = new_mem_env();
    ASSERT_TRUE(base->create_dir("/t").ok());
    FaultInjectionEnv env(base.get());
    {
      auto w = open_writer(&env, kSrc);
      append_records(w.get(), 0, 15);
      if (!fresh) {
        ASSERT_TRUE(ship(&env).ok());
      }
      append_records(w.get(), 15, 45);
      ASSERT_TRUE(w->close().ok());
    }
    // The writer rewrites PROGRESS without syncing it; make its last value
    // durable, so that the power cuts below, which are the shipper's, do
    // not take the source back to the value published at open.
    testutil::must_write(&env, "/t/src/PROGRESS",
                         testutil::must_read(&env, "/t/src/PROGRESS"));
    const auto want = expected_records(45);
    std::size_t shipped_before = fresh ? 0 : 15;
    ASSERT_TRUE(env.start_recording("/t").ok());
    ASSERT_TRUE(ship(&env).ok());
    env.stop_recording();
    const std::vector<testing::EnvOp> trace = env.trace();
    ASSERT_GT(trace.size(), 20u);

    struct Crash {
      testing::TearMode tear;
      bool power_cut;
    };
    int partial_states = 0;    // the replica held some new records
    int truncated_states = 0;  // resuming cut an unsynced tail off
    for (Crash crash : {Crash{testing::TearMode::kNone, true},
                        Crash{testing::TearMode::kGarbage, true},
                        Crash{testing::TearMode::kCut, true},
                        Crash{testing::TearMode::kNone, false}}) {
      for (std::size_t k = 0; k <= trace.size(); ++k) {
        SCOPED_TRACE("crash after op " + std::to_string(k) + " of " +
                     std::to_string(trace.size()) + ": " +
                     (k > 0 ? testing::describe(trace[k - 1]) : "start"));
        testing::CrashStateOptions co;
        // A tear hits only a write that was in flight: the prefix's last op.
        bool in_flight =
            k > 0 && trace[k - 1].type == testing::EnvOp::Type::kAppend;
        if (crash.tear != testing::TearMode::kNone && !in_flight) continue;
        co.tear_mode = crash.tear;
        co.tear_keep_bytes = 5;
        co.drop_unsynced_data = crash.power_cut;
        co.drop_unsynced_dir_ops = crash.power_cut;
        auto state = testing::materialize_crash_state(trace, k, co);
        ASSERT_TRUE(state.ok()) << state.status().to_string();
        Env* e = state->get();
        if ((*e->file_exists(kDst)) &&
            *e->file_exists(join_path(kDst, "START"))) {
          auto got = read_all(e, kDst);
          if (got.status.is_not_found()) {
            // START written, no segment yet: nothing shipped.
          } else {
            ASSERT_TRUE(got.status.ok()) << got.status.to_string();
            for (const auto& p : got.problems) {
              ASSERT_EQ(p.kind, ProblemKind::kTornTail) << p.to_string();
            }
            ASSERT_GE(got.payloads.size(), shipped_before);
            if (got.payloads.size() > shipped_before &&
                got.payloads.size() < want.size()) {
              ++partial_states;
            }
            ASSERT_LE(got.payloads.size(), want.size());
            for (std::size_t i = 0; i < got.payloads.size(); ++i) {
              ASSERT_EQ(got.payloads[i], want[i]) << "record " << i;
            }
          }
        }
        ShipResumeReport resumed;
        auto again = ship(e, {}, &resumed);
        if (resumed.truncated_bytes > 0) ++truncated_states;
        ASSERT_TRUE(again.ok()) << again.status().to_string();
        EXPECT_EQ(again->shipped_lsn, again->source_durable_lsn);
        expect_byte_prefix(e, true);
        expect_record_prefix(e, want, want.size());
      }
    }
    EXPECT_GT(partial_states, 0);
    EXPECT_GT(truncated_states, 0);
  }
}

// A power cut on the source undoes what its writer had not synced; the
// replica, which ships only what was published as durable, is never ahead
// of what the source then recovers.
TEST(LogShipperCrash, SourcePowerCutNeverLeavesTheReplicaAhead) {
  for (int seed = 0; seed < 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto base = new_mem_env();
    ASSERT_TRUE(base->create_dir("/t").ok());
    FaultInjectionEnv env(base.get());
    auto w = open_writer(&env, kSrc, DurabilityMode::none());
    LogShipperOptions o;
    o.env = &env;
    auto shipper = LogShipper::open(kSrc, kDst, o);
    ASSERT_TRUE(shipper.ok());
    int n = 0;
    for (int round = 0; round < 4 + seed; ++round) {
      append_records(w.get(), n, n + 5 + seed);
      n += 5 + seed;
      if ((round + seed) % 2 == 0) {
        ASSERT_TRUE(w->sync().ok());
      }
      ASSERT_TRUE((*shipper)->ship_once().ok());
    }
    ASSERT_TRUE(env.simulate_power_cut().ok());
    shipper->reset();
    w.reset();
    w = open_writer(&env, kSrc, DurabilityMode::none());  // recovers
    ASSERT_NE(w, nullptr);
    auto src = read_all(&env, kSrc);
    auto dst = read_all(&env, kDst);
    ASSERT_TRUE(dst.status.ok()) << dst.status.to_string();
    ASSERT_LE(dst.payloads.size(), src.payloads.size());
    for (std::size_t i = 0; i < dst.payloads.size(); ++i) {
      ASSERT_EQ(dst.payloads[i], src.payloads[i]);
    }
    // And shipping goes on from there.
    auto r = ship(&env);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    expect_byte_prefix(&env, true);
  }
}

// The contrast: shipping what is not yet durable (ship_unsynced) can put
// the replica ahead of what the source recovers, and the shipper then
// refuses to go on rather than mixing two histories.
TEST(LogShipperCrash, UnsyncedShippingCanRunAheadAndIsThenRefused) {
  auto base = new_mem_env();
  ASSERT_TRUE(base->create_dir("/t").ok());
  FaultInjectionEnv env(base.get());
  auto w = open_writer(&env, kSrc, DurabilityMode::none());
  append_records(w.get(), 0, 6);
  LogShipperOptions o;
  o.ship_unsynced = true;
  auto r = ship(&env, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->records, 6u);
  ASSERT_TRUE(env.simulate_power_cut().ok());
  w.reset();
  w = open_writer(&env, kSrc, DurabilityMode::none());
  ASSERT_NE(w, nullptr);
  EXPECT_LT(w->end_lsn(), r->shipped_lsn);
  auto again = ship(&env);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().is_invalid_argument())
      << again.status().to_string();
}

// ---- replication slots

constexpr const char* kSlot = "replica";

std::unique_ptr<LogWriter> open_capped_writer(Env* env, uint64_t cap) {
  LogWriterOptions o;
  o.env = env;
  o.mode = DurabilityMode::strict();
  o.segment_size = 400;
  o.max_slot_retained_bytes = cap;
  auto w = LogWriter::open(kSrc, o);
  EXPECT_TRUE(w.ok()) << w.status().to_string();
  return w.ok() ? std::move(*w) : nullptr;
}

LogShipperOptions with_slot() {
  LogShipperOptions o;
  o.slot = kSlot;
  return o;
}

Lsn slot_lsn(Env* env) {
  auto s = read_slot(env, kSrc, kSlot);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? s->restart_lsn : 0;
}

// The LSN below which the replica holds every record (what survived).
Lsn replica_end_lsn(Env* env) {
  LogReaderOptions o;
  o.env = env;
  o.recovery_mode = RecoveryMode::kTolerateCorruptedTail;
  auto r = LogReader::open(kDst, o);
  if (!r.ok()) return 0;
  LogRecord rec;
  while (true) {
    auto more = (*r)->next(&rec);
    if (!more.ok() || !*more) break;
  }
  return (*r)->end_lsn();
}

TEST_F(LogShipperTest, SlotKeepsTheSegmentsALaggingReplicaNeeds) {
  auto w = open_capped_writer(env_.get(), 1U << 20);
  LogShipperOptions o = with_slot();
  o.env = env_.get();
  ShipResumeReport resumed;
  auto shipper = LogShipper::open(kSrc, kDst, o, &resumed);
  ASSERT_TRUE(shipper.ok()) << shipper.status().to_string();
  EXPECT_TRUE(resumed.slot_created);
  EXPECT_EQ(slot_lsn(env_.get()), resumed.resume_lsn);

  // The writer retires everything it can after every burst; the shipper
  // runs only every third burst, so it lags by several segments each time.
  int held = 0;
  uint64_t removed = 0;
  for (int round = 0; round < 9; ++round) {
    append_records(w.get(), round * 20, (round + 1) * 20);
    RetireReport rr;
    auto n = w->remove_segments_before(w->end_lsn(), &rr);
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    removed += *n;
    EXPECT_TRUE(rr.dropped_slots.empty());
    if (!rr.holding_slots.empty()) ++held;
    if (round % 3 == 2) {
      auto r = (*shipper)->ship_once();
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      EXPECT_EQ(r->shipped_lsn, w->end_lsn());
      EXPECT_EQ(r->slot_lsn, r->shipped_lsn);
      EXPECT_EQ(slot_lsn(env_.get()), r->shipped_lsn);
    }
  }
  EXPECT_GT(held, 0);
  EXPECT_GT(removed, 0u);  // what the replica had was retired on the source
  // No gap: the replica holds the whole history, the source only its tail.
  expect_record_prefix(env_.get(), expected_records(180), 180);
  EXPECT_LT(read_all(env_.get(), kSrc).payloads.size(), 180u);
}

TEST_F(LogShipperTest, WithoutItsSlotTheSameLagIsAGap) {
  // The control for the test above: same writer, no slot.
  auto w = open_capped_writer(env_.get(), 1U << 20);
  append_records(w.get(), 0, 5);
  ASSERT_TRUE(ship(env_.get()).ok());
  append_records(w.get(), 5, 60);
  ASSERT_TRUE(w->remove_segments_before(w->end_lsn()).ok());
  auto r = ship(env_.get());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().to_string().find("gap"), std::string::npos)
      << r.status().to_string();
}

TEST_F(LogShipperTest, SlotDroppedByTheSizeCapFailsTheShipperLoudly) {
  auto w = open_capped_writer(env_.get(), 1000);
  append_records(w.get(), 0, 5);
  LogShipperOptions o = with_slot();
  o.env = env_.get();
  auto shipper = LogShipper::open(kSrc, kDst, o);
  ASSERT_TRUE(shipper.ok()) << shipper.status().to_string();
  ASSERT_TRUE((*shipper)->ship_once().ok());
  const Lsn shipped = (*shipper)->shipped_lsn();
  append_records(w.get(), 5, 80);
  RetireReport rr;
  ASSERT_TRUE(w->remove_segments_before(w->end_lsn(), &rr).ok());
  ASSERT_EQ(rr.dropped_slots, std::vector<std::string>{kSlot});

  auto expect_drop_error = [&](const Status& s) {
    const std::string text = s.to_string();
    EXPECT_TRUE(s.is_not_found()) << text;
    EXPECT_NE(text.find("slot 'replica'"), std::string::npos) << text;
    EXPECT_NE(text.find("dropped"), std::string::npos) << text;
    EXPECT_NE(text.find("max_slot_retained_bytes cap of 1000 bytes"),
              std::string::npos)
        << text;
  };
  auto r = (*shipper)->ship_once();
  ASSERT_FALSE(r.ok());
  expect_drop_error(r.status());
  // Nothing was shipped past the drop, and a new shipper is refused too
  // rather than recreating the slot over the hole.
  EXPECT_EQ((*shipper)->shipped_lsn(), shipped);
  ASSERT_TRUE((*shipper)->close().ok());
  auto again = LogShipper::open(kSrc, kDst, o);
  ASSERT_FALSE(again.ok());
  expect_drop_error(again.status());
  expect_record_prefix(env_.get(), expected_records(80), 5);
}

// A slot that stands past the replica (say the replica was restored from an
// older copy) would let the source retire what the replica still needs:
// open() moves it back to the replica's resume LSN.
TEST_F(LogShipperTest, SlotAheadOfTheReplicaIsMovedBackToItsResumeLsn) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 5);
  ASSERT_TRUE(ship(env_.get(), with_slot()).ok());
  append_records(w.get(), 5, 40);
  ASSERT_TRUE(advance_slot(env_.get(), kSrc, kSlot, w->end_lsn()).ok());
  LogShipperOptions o = with_slot();
  o.env = env_.get();
  ShipResumeReport resumed;
  auto shipper = LogShipper::open(kSrc, kDst, o, &resumed);
  ASSERT_TRUE(shipper.ok()) << shipper.status().to_string();
  EXPECT_FALSE(resumed.slot_created);
  EXPECT_EQ(resumed.slot_found_lsn, w->end_lsn());
  EXPECT_LT(resumed.resume_lsn, w->end_lsn());
  EXPECT_EQ(slot_lsn(env_.get()), resumed.resume_lsn);
  RetireReport rr;
  ASSERT_TRUE(w->remove_segments_before(w->end_lsn(), &rr).ok());
  EXPECT_EQ(rr.holding_slots, std::vector<std::string>{kSlot});
  ASSERT_TRUE((*shipper)->ship_once().ok());
  expect_record_prefix(env_.get(), expected_records(40), 40);
}

TEST_F(LogShipperTest, RemovedSlotIsAnErrorWhileShipping) {
  auto w = open_writer(env_.get(), kSrc);
  append_records(w.get(), 0, 5);
  LogShipperOptions o = with_slot();
  o.env = env_.get();
  auto shipper = LogShipper::open(kSrc, kDst, o);
  ASSERT_TRUE(shipper.ok()) << shipper.status().to_string();
  ASSERT_TRUE(drop_slot(env_.get(), kSrc, kSlot).ok());
  auto r = (*shipper)->ship_once();
  ASSERT_FALSE(r.ok());
  expect_refused(r.status(), StatusCode::kNotFound, "removed");
}

TEST_F(LogShipperTest, InvalidSlotNameIsRefusedBeforeAnythingIsWritten) {
  auto w = open_writer(env_.get(), kSrc);
  LogShipperOptions o;
  o.env = env_.get();
  o.slot = "no/slashes";
  auto shipper = LogShipper::open(kSrc, kDst, o);
  ASSERT_FALSE(shipper.ok());
  EXPECT_TRUE(shipper.status().is_invalid_argument())
      << shipper.status().to_string();
  EXPECT_FALSE(*env_->file_exists(kDst));
}

// Crashes a slot-holding shipper after every prefix of its Env operations
// (power cut and process crash): the slot is never ahead of what the
// replica kept, it is strictly behind in the states between the replica's
// sync and the slot's update, and a new shipper moves it up and completes
// the replica.
TEST(LogShipperCrash, SlotIsNeverAheadOfTheDurableReplica) {
  auto base = new_mem_env();
  ASSERT_TRUE(base->create_dir("/t").ok());
  FaultInjectionEnv env(base.get());
  {
    auto w = open_writer(&env, kSrc);
    append_records(w.get(), 0, 15);
    ASSERT_TRUE(ship(&env, with_slot()).ok());
    append_records(w.get(), 15, 45);
    ASSERT_TRUE(w->close().ok());
  }
  testutil::must_write(&env, "/t/src/PROGRESS",
                       testutil::must_read(&env, "/t/src/PROGRESS"));
  const Lsn slot_before = slot_lsn(&env);
  ASSERT_GT(slot_before, 0u);
  ASSERT_TRUE(env.start_recording("/t").ok());
  auto full = ship(&env, with_slot());
  ASSERT_TRUE(full.ok()) << full.status().to_string();
  env.stop_recording();
  const Lsn end = full->shipped_lsn;
  ASSERT_EQ(slot_lsn(&env), end);
  const std::vector<testing::EnvOp> trace = env.trace();

  int behind_states = 0;
  for (bool power_cut : {true, false}) {
    for (std::size_t k = 0; k <= trace.size(); ++k) {
      SCOPED_TRACE(std::string(power_cut ? "power cut" : "process crash") +
                   " after op " + std::to_string(k) + " of " +
                   std::to_string(trace.size()) + ": " +
                   (k > 0 ? testing::describe(trace[k - 1]) : "start"));
      testing::CrashStateOptions co;
      co.drop_unsynced_data = power_cut;
      co.drop_unsynced_dir_ops = power_cut;
      auto state = testing::materialize_crash_state(trace, k, co);
      ASSERT_TRUE(state.ok()) << state.status().to_string();
      Env* e = state->get();
      const Lsn slot = slot_lsn(e);
      const Lsn kept = replica_end_lsn(e);
      ASSERT_GE(slot, slot_before);
      ASSERT_LE(slot, kept) << "the slot is ahead of the replica";
      if (slot < kept && kept == end) ++behind_states;

      ShipResumeReport resumed;
      auto again = ship(e, with_slot(), &resumed);
      ASSERT_TRUE(again.ok()) << again.status().to_string();
      EXPECT_FALSE(resumed.slot_created);
      EXPECT_EQ(resumed.slot_found_lsn, slot);
      EXPECT_EQ(again->shipped_lsn, end);
      EXPECT_EQ(slot_lsn(e), end);
      expect_byte_prefix(e, true);
      expect_record_prefix(e, expected_records(45), 45);
    }
  }
  EXPECT_GT(behind_states, 0);
}

}  // namespace
}  // namespace strata::durability::log
