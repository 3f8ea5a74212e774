// The MVCC entry encodings side by side, and the view-based replay path:
// a log written in encoding version 1 (what the library wrote before
// version 2; a committed fixture, and logs written here with
// encode_entry_as) replays to exactly the state the same entries written
// today replay to; a handler working from views sees exactly what an owning
// handler sees; a damaged entry inside a transaction batch is an error that
// names its segment and offset, never a crash.
//
// STRATA_WRITE_MVCC_V1_FIXTURE=1 rewrites the committed fixture
// (tests/data/golden/mvcc-v1/) from workload(); its entries are pinned, so
// that is only for a fixture that was lost.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/mvcc/mvcc_store.h"
#include "strata/durability/mvcc/replay.h"
#include "strata/durability/mvcc/wal.h"
#include "support/mvcc_test_util.h"

namespace strata::durability::mvcc {
namespace {

using testing::encoded_as;
using testing::test_run;

const std::string kFixtureDir =
    std::string(STRATA_TEST_DATA_DIR) + "/golden/mvcc-v1";

using Batches = std::vector<std::vector<WALEntry>>;

// Deterministic batches covering every key form of version 2: single-entry
// transactions, one ten-entry transaction with namespaces of their own,
// another run's default namespace, nested values, a Delete and a JSON
// entry; an aborted transaction; and two runs' transactions interleaved
// one entry per batch (replay's open-transaction path).
Batches workload() {
  const RunId r1 = test_run(1);
  const RunId r2 = test_run(2);
  const Namespace n1 = Namespace::for_run(r1);
  const Namespace own{"acme", "billing", "agent-7", r1};
  const Namespace foreign = Namespace::for_run(r2);
  const uint64_t t0 = 1700000000000000ULL;
  Batches out;
  uint64_t v = 0;
  for (uint64_t i = 0; i < 5; ++i) {
    out.push_back(
        {BeginTxn{i + 1, r1, t0 + i},
         Write{r1, Key::new_kv(n1, "k" + std::to_string(i)),
               Value::string(std::string(128, static_cast<char>('a' + i))),
               ++v},
         CommitTxn{i + 1, r1}});
  }
  std::vector<WALEntry> t = {BeginTxn{10, r1, t0 + 10}};
  t.push_back(Write{r1, Key::new_kv(own, "o"), Value::integer(-5), ++v});
  t.push_back(
      Write{r1, Key::new_state(foreign, "s"), Value::floating(2.5), ++v});
  t.push_back(Write{
      r1, Key::new_event(n1, 3),
      Value::object({{"a", Value::array({Value::null(), Value::boolean(true)})},
                     {"b", Value::bytes(std::string("\x00\x01", 2))}}),
      ++v});
  t.push_back(Delete{r1, Key::new_kv(n1, "k0"), ++v});
  t.push_back(Delete{r1, Key::new_json(own, "d"), ++v});
  t.push_back(JsonCreate{r1, "doc", Value::object({{"x", Value::integer(1)}}),
                         ++v, t0 + 11});
  for (int j = 0; j < 3; ++j) {
    t.push_back(Write{r1, Key::new_kv(n1, "t" + std::to_string(j)),
                      Value::string(std::string(40 + j, 'x')), ++v});
  }
  t.push_back(Write{r1, Key::new_kv(n1, ""), Value::string(""), ++v});
  t.push_back(CommitTxn{10, r1});
  out.push_back(t);
  out.push_back({BeginTxn{11, r1, t0 + 12},
                 Write{r1, Key::new_kv(n1, "never"), Value::integer(1), ++v},
                 AbortTxn{11, r1}});
  out.push_back({BeginTxn{20, r2, t0 + 20}});
  out.push_back({BeginTxn{21, r1, t0 + 21}});
  out.push_back(
      {Write{r2, Key::new_kv(foreign, "r2"), Value::integer(2), ++v}});
  out.push_back({Write{r1, Key::new_kv(own, "r1"), Value::integer(1), ++v}});
  out.push_back({CommitTxn{21, r1}});
  out.push_back({Delete{r2, Key::new_kv(foreign, "r2"), ++v}});
  out.push_back({CommitTxn{20, r2}});
  return out;
}

std::vector<WALEntry> flatten(const Batches& batches) {
  std::vector<WALEntry> out;
  for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Writes each batch as one core batch, its entries encoded in `version`.
void write_with_core(Env* env, const std::string& dir, const Batches& batches,
                     uint8_t version) {
  log::LogWriterOptions o;
  o.env = env;
  o.kind = log::LogKind::kMvcc;
  o.mode = DurabilityMode::strict();
  auto w = log::LogWriter::open(dir, o);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  for (const auto& batch : batches) {
    std::vector<std::string> bytes;
    for (const auto& e : batch) bytes.push_back(encoded_as(e, version));
    std::vector<std::string_view> views(bytes.begin(), bytes.end());
    ASSERT_TRUE((*w)->append(views).ok());
  }
  ASSERT_TRUE((*w)->close().ok());
}

// Writes the batches through the WAL as a user would: transactions with
// append_transaction, anything else entry by entry.
void write_with_wal(Env* env, const std::string& dir, const Batches& batches) {
  WalOptions o;
  o.env = env;
  o.mode = DurabilityMode::strict();
  auto wal = WAL::open(dir, o);
  ASSERT_TRUE(wal.ok()) << wal.status().to_string();
  for (const auto& batch : batches) {
    if (batch.size() >= 2 && batch.back().is<CommitTxn>()) {
      auto r = (*wal)->append_transaction(batch);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      continue;
    }
    for (const auto& e : batch) ASSERT_TRUE((*wal)->append(e).ok());
  }
  ASSERT_TRUE((*wal)->close().ok());
}

// Records every call as a line, from owned entries. Its Writes and Deletes
// arrive through the default view methods (which copy) or, for entries
// kept past their batch, directly.
class OwningRecorder : public ReplayHandler {
 public:
  std::vector<std::string> seen;
  Status on_transaction_begin(const TxnInfo& t) override {
    seen.push_back("begin " + std::to_string(t.txn_id) +
                   " n=" + std::to_string(t.entry_count));
    return Status::ok_status();
  }
  Status on_transaction_commit(const TxnInfo& t) override {
    seen.push_back("commit " + std::to_string(t.txn_id));
    return Status::ok_status();
  }
  Result<ApplyOutcome> on_write(const Write& w) override {
    seen.push_back(WALEntry(w).to_string());
    return ApplyOutcome::kApplied;
  }
  Result<ApplyOutcome> on_delete(const Delete& d) override {
    seen.push_back(WALEntry(d).to_string());
    return ApplyOutcome::kApplied;
  }
  Result<ApplyOutcome> on_json_create(const JsonCreate& j) override {
    seen.push_back(WALEntry(j).to_string());
    return ApplyOutcome::kApplied;
  }
};

// The same lines, made inside the view callbacks.
class ViewRecorder : public ViewReplayHandler {
 public:
  std::vector<std::string> seen;
  Status on_transaction_begin(const TxnInfo& t) override {
    seen.push_back("begin " + std::to_string(t.txn_id) +
                   " n=" + std::to_string(t.entry_count));
    return Status::ok_status();
  }
  Status on_transaction_commit(const TxnInfo& t) override {
    seen.push_back("commit " + std::to_string(t.txn_id));
    return Status::ok_status();
  }
  Result<ApplyOutcome> on_write_view(const WriteView& w) override {
    // The view's own accessors agree with the value it converts to.
    const Value v = w.value.to_value();
    EXPECT_EQ(w.value.kind(), v.kind());
    if (v.is_string()) {
      EXPECT_EQ(w.value.as_string_bytes(), v.as_string());
    }
    if (v.is_int()) {
      EXPECT_EQ(w.value.as_int(), v.as_int());
    }
    seen.push_back(WALEntry(w.to_write()).to_string());
    return ApplyOutcome::kApplied;
  }
  Result<ApplyOutcome> on_delete_view(const DeleteView& d) override {
    seen.push_back(WALEntry(d.to_delete()).to_string());
    return ApplyOutcome::kApplied;
  }
  Result<ApplyOutcome> on_json_create(const JsonCreate& j) override {
    seen.push_back(WALEntry(j).to_string());
    return ApplyOutcome::kApplied;
  }
};

std::string store_dump(Env* env, const std::string& dir) {
  MvccStore store;
  ReplayOptions o;
  o.env = env;
  auto r = replay_wal(dir, &store, o);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return store.dump();
}

uint64_t log_bytes(Env* env, const std::string& dir) {
  auto r = read_wal_entries(dir, env);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r->end_lsn : 0;
}

TEST(MvccEncodingCompat, VersionOneLogReplaysLikeTheSameEntriesWrittenToday) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  const Batches batches = workload();
  write_with_core(env.get(), "/db/v1", batches, 1);
  write_with_wal(env.get(), "/db/v2", batches);

  auto old_entries = read_wal_entries("/db/v1", env.get());
  auto new_entries = read_wal_entries("/db/v2", env.get());
  ASSERT_TRUE(old_entries.ok() && new_entries.ok());
  const std::vector<WALEntry> want = flatten(batches);
  ASSERT_EQ(old_entries->entries.size(), want.size());
  ASSERT_EQ(new_entries->entries.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(old_entries->entries[i].entry, want[i]) << i;
    EXPECT_EQ(new_entries->entries[i].entry, want[i]) << i;
  }

  const std::string dump = store_dump(env.get(), "/db/v2");
  EXPECT_EQ(store_dump(env.get(), "/db/v1"), dump);
  EXPECT_NE(dump.find("acme"), std::string::npos);  // it did apply

  OwningRecorder a;
  OwningRecorder b;
  ReplayOptions o;
  o.env = env.get();
  auto sa = replay_wal("/db/v1", &a, o);
  auto sb = replay_wal("/db/v2", &b, o);
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(a.seen, b.seen);
  EXPECT_EQ(sa->txns_applied, 8U);
  EXPECT_EQ(sb->txns_applied, 8U);
  EXPECT_EQ(sb->aborted_txns, 1U);
  EXPECT_EQ(sb->deletes_applied, 3U);

  // The reason for version 2: the same entries take fewer bytes.
  EXPECT_LT(log_bytes(env.get(), "/db/v2"), log_bytes(env.get(), "/db/v1"));
}

TEST(MvccEncodingCompat, ViewHandlerSeesWhatTheOwningHandlerSees) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  const Batches batches = workload();
  write_with_core(env.get(), "/db/v1", batches, 1);
  write_with_wal(env.get(), "/db/v2", batches);
  for (const std::string dir : {"/db/v1", "/db/v2"}) {
    SCOPED_TRACE(dir);
    OwningRecorder owning;
    ViewRecorder views;
    ReplayOptions o;
    o.env = env.get();
    auto so = replay_wal(dir, &owning, o);
    auto sv = replay_wal(dir, &views, o);
    ASSERT_TRUE(so.ok()) << so.status().to_string();
    ASSERT_TRUE(sv.ok()) << sv.status().to_string();
    EXPECT_EQ(views.seen, owning.seen);
    EXPECT_EQ(sv->writes_applied, so->writes_applied);
    EXPECT_EQ(sv->deletes_applied, so->deletes_applied);
    // Both shapes were exercised: whole-batch transactions (views) and
    // transactions spread over batches (owned entries).
    EXPECT_GT(owning.seen.size(), 20U);
  }
}

TEST(MvccEncodingCompat, CommittedVersionOneFixtureStillReplays) {
  if (std::getenv("STRATA_WRITE_MVCC_V1_FIXTURE") != nullptr) {
    std::filesystem::remove_all(kFixtureDir);
    write_with_core(Env::posix(), kFixtureDir, workload(), 1);
    std::filesystem::remove(kFixtureDir + "/LOCK");
  }
  // Every record of the fixture is in version 1.
  log::LogReaderOptions ro;
  ro.env = Env::posix();
  auto reader = log::LogReader::open(kFixtureDir, ro);
  ASSERT_TRUE(reader.ok()) << reader.status().to_string();
  log::LogRecord rec;
  std::size_t records = 0;
  while (true) {
    auto more = (*reader)->next(&rec);
    ASSERT_TRUE(more.ok()) << more.status().to_string();
    if (!*more) break;
    ASSERT_FALSE(rec.payload.empty());
    EXPECT_EQ(rec.payload[0], 1) << "record at LSN " << rec.lsn;
    ++records;
  }
  const std::vector<WALEntry> want = flatten(workload());
  EXPECT_EQ(records, want.size());

  auto entries = read_wal_entries(kFixtureDir, Env::posix());
  ASSERT_TRUE(entries.ok()) << entries.status().to_string();
  ASSERT_EQ(entries->entries.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(entries->entries[i].entry, want[i]) << i;
  }
  // And it replays to the state the same entries written today give.
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  write_with_wal(env.get(), "/db/v2", workload());
  EXPECT_EQ(store_dump(Env::posix(), kFixtureDir),
            store_dump(env.get(), "/db/v2"));
}

TEST(MvccEncodingCompat, DamagedEntryInABatchIsAnErrorNamingSegmentAndOffset) {
  auto env = new_mem_env();
  ASSERT_TRUE(env->create_dir("/db").ok());
  const RunId run = test_run(1);
  const Write good{run, Key::new_kv(Namespace::for_run(run), "k"),
                   Value::string("v"), 1};
  std::string reserved = encoded_as(good, 2);
  reserved[2] = static_cast<char>(reserved[2] | 0x40);  // a reserved form bit
  std::string cut = encoded_as(good, 2);
  cut.resize(cut.size() - 3);  // inside the value
  for (const std::string& bad : {reserved, cut}) {
    const std::string dir = "/db/bad" + std::to_string(bad.size());
    // Framed and checksummed by the core, so only the decoder can tell.
    write_with_core(env.get(), dir, {{BeginTxn{1, run, 5}, good}}, 2);
    {
      log::LogWriterOptions o;
      o.env = env.get();
      o.kind = log::LogKind::kMvcc;
      auto w = log::LogWriter::open(dir, o);
      ASSERT_TRUE(w.ok());
      const std::string begin = encoded_as(BeginTxn{2, run, 6}, 2);
      const std::string commit = encoded_as(CommitTxn{2, run}, 2);
      std::vector<std::string_view> batch = {begin, bad, commit};
      ASSERT_TRUE((*w)->append(batch).ok());
      ASSERT_TRUE((*w)->close().ok());
    }
    MvccStore store;
    ReplayOptions o;
    o.env = env.get();
    auto r = replay_wal(dir, &store, o);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().is_corruption()) << r.status().to_string();
    const std::string msg = r.status().to_string();
    EXPECT_NE(msg.find("segment 1, offset "), std::string::npos) << msg;
    EXPECT_NE(msg.find("Write."), std::string::npos) << msg;
    // Skipping damage drops the whole transaction and keeps the rest.
    o.recovery_mode = log::RecoveryMode::kSkipAnyCorrupted;
    MvccStore skipped;
    auto s = replay_wal(dir, &skipped, o);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    EXPECT_EQ(s->corrupted_entries, 1U);
    EXPECT_EQ(s->txns_applied, 0U);  // txn 1 never committed, txn 2 dropped
    ASSERT_EQ(s->problems.size(), 1U);
    EXPECT_NE(s->problems[0].reason.find("entry decode"), std::string::npos);
  }
}

}  // namespace
}  // namespace strata::durability::mvcc
