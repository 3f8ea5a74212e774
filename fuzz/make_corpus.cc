// fuzz_make_corpus: writes the seed corpus of the fuzz targets, built with
// the library itself so that every seed is a valid sample (the fuzzer then
// mutates from there). Usage: fuzz_make_corpus <fuzz/corpus directory>.
// The output is deterministic apart from the UUIDs and salts a real writer
// picks, so regenerating changes bytes but not coverage.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "strata/durability/env.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/mvcc/entry_codec.h"
#include "strata/durability/mvcc/wal.h"
#include "strata/durability/txlog/transaction.h"
#include "strata/durability/txlog/wal_entry.h"
#include "strata/durability/txlog/wal_writer.h"
#include "fuzz_util.h"
#include "log/format.h"

namespace fs = std::filesystem;
using namespace strata::durability;  // NOLINT(google-build-using-namespace)

namespace {

class Corpus {
 public:
  Corpus(fs::path root, std::string target)
      : dir_(std::move(root) / std::move(target)) {
    fs::create_directories(dir_);
  }
  void add(const std::string& bytes) {
    char name[32];
    std::snprintf(name, sizeof(name), "seed-%03d", n_++);
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    FUZZ_CHECK(out.good());
  }

 private:
  fs::path dir_;
  int n_ = 0;
};

std::string le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

Uuid uuid_of(uint8_t n) {
  Uuid::Bytes b{};
  b[0] = 0x01;
  b[6] = 0x70;
  b[15] = n;
  return Uuid(b);
}

void record_framing(const fs::path& root) {
  using namespace log;  // NOLINT(google-build-using-namespace)
  Corpus c(root, "fuzz_record_framing");
  const uint32_t seed = 0x1234abcd;
  std::string prefix = le32(seed) + std::string(1, '\0');
  std::string recs;
  append_record(&recs, seed, RecordType::kFull, "hello");
  c.add(prefix + recs);
  append_record(&recs, seed, RecordType::kFirst, "a");
  append_record(&recs, seed, RecordType::kMiddle, "bb");
  append_record(&recs, seed, RecordType::kLast, "ccc");
  append_record(&recs, seed, RecordType::kPadding, std::string(12, '\0'));
  c.add(prefix + recs);
  append_record(&recs, seed, RecordType::kSeal, encode_seal({2, 77, 500}));
  c.add(prefix + recs);
  // A small record limit (8 * 16 bytes) with a record just over it.
  std::string big;
  append_record(&big, seed, RecordType::kFull, std::string(130, 'x'));
  c.add(le32(seed) + std::string(1, '\x08') + big);

  SegmentHeader h;
  h.kind = LogKind::kTxLog;
  h.log_id = uuid_of(3).bytes();
  h.number = 2;
  h.first_lsn = 4096;
  h.salt = 99;
  h.prev_salt = 98;
  std::string seg = encode_segment_header(h);
  append_record(&seg, segment_seed(h.log_id, h.number, h.salt),
                RecordType::kFull, "in a segment");
  c.add(prefix + seg);
  StartRecord s;
  s.kind = LogKind::kMvcc;
  s.log_id = h.log_id;
  s.first_segment = 3;
  s.first_lsn = 8192;
  c.add(prefix + encode_start(s));
  c.add(prefix + encode_seal({7, 1, 123456}));
}

void mvcc_entry(const fs::path& root) {
  using namespace mvcc;  // NOLINT(google-build-using-namespace)
  Corpus c(root, "fuzz_mvcc_entry");
  RunId run = uuid_of(1);
  Namespace ns = Namespace::for_run(run);
  Value::Object doc;
  doc["a"] = Value::integer(-3);
  doc["b"] = Value::array({Value::floating(1.5), Value::null(),
                           Value::boolean(true), Value::bytes("\x01\x02")});
  std::vector<WALEntry> entries = {
      BeginTxn{1, run, 1700000000000000ULL},
      Write{run, Key::new_kv(ns, "k"), Value::object(doc), 3},
      Delete{run, Key::new_event(ns, 5), 4},
      CommitTxn{1, run},
      AbortTxn{2, run},
      Checkpoint{uuid_of(9), 10, {run, uuid_of(2)}},
      JsonCreate{run, "doc", Value::object(doc), 5, 1700000000000001ULL},
      JsonSet{run, "doc", *JsonPath::parse("b[1]"), Value::string("s"), 6},
      JsonDelete{run, "doc", *JsonPath::parse("a"), 7},
      JsonDestroy{run, "doc"},
      VectorCollectionCreate{run, "emb", 3, DistanceMetric::kDotProduct, 8},
      VectorCollectionDelete{run, "emb", 9},
      VectorUpsert{run,
                   "emb",
                   "v",
                   1,
                   {0.25f, -2.0f, 8.0f},
                   std::string("meta"),
                   10,
                   EntityRef{KvRef{run, "k"}}},
      VectorDelete{run, "emb", "v", 1, 11},
  };
  // seed-000 to seed-013: every type in encoding version 1, as logs
  // written before version 2 hold them (the seeds they always were).
  for (const WALEntry& e : entries) {
    std::string bytes;
    FUZZ_CHECK(encode_entry_as(e, 1, &bytes).ok());
    c.add(bytes);
  }
  // Then version 2's Writes and Deletes, each way its key form byte can
  // be set: default namespace of the entry's run, default names of another
  // run, names of their own, and every type tag.
  const Namespace own{"tenant", "app", "agent", run};
  const Namespace other = Namespace::for_run(uuid_of(2));
  std::vector<WALEntry> v2 = {
      Write{run, Key::new_kv(ns, "k"), Value::object(doc), 3},
      Write{run, Key::new_kv(ns, "key-1"), Value::string(std::string(64, 'v')),
            300},
      Write{run, Key::new_state(other, "s"), Value::integer(-7), 4},
      Write{run, Key::new_json(own, "d"),
            Value::bytes(std::string("\x00\xff", 2)), 5},
      Write{run,
            Key::new_vector(Namespace{"t", "a", "g", uuid_of(3)}, "c", "k"),
            Value::floating(-0.0), 6},
      Delete{run, Key::new_event(ns, 5), 4},
      Delete{run, Key::new_run(other, "r"), 7},
      Delete{run, Key::new_vector_config(own, "c"), 8},
  };
  for (const WALEntry& e : v2) {
    std::string bytes;
    FUZZ_CHECK(encode_entry(e, &bytes).ok());
    FUZZ_CHECK(bytes[0] == 2);
    c.add(bytes);
  }
}

void txlog_entry(const fs::path& root) {
  using namespace txlog;  // NOLINT(google-build-using-namespace)
  Corpus c(root, "fuzz_txlog_entry");
  TxId tx = uuid_of(4);
  RunId run = uuid_of(5);
  std::vector<WalEntry> entries;
  Transaction t = Transaction::with_id_and_run(tx, run);
  t.kv_put("key", "value")
      .kv_delete("key")
      .json_create("d", "{}")
      .json_set("d", "{\"a\":1}")
      .json_delete("d/a")
      .json_destroy("d")
      .json_patch("d", "[]")
      .event_append("ev")
      .state_init("s", "0")
      .state_set("s", "1")
      .state_transition("s", "1", "2")
      .run_create("r")
      .run_update("u")
      .run_begin("b")
      .run_end("e");
  for (WalEntry& e : t.to_wal_entries()) entries.push_back(std::move(e));
  entries.push_back(WalEntry::make(WalEntryType::kVectorUpsert, tx, "vec"));
  entries.push_back(WalEntry::commit_marker(tx, {1700000000000000ULL, 42, 15}));
  entries.push_back(WalEntry::commit_marker(tx, {5, std::nullopt, 1}));
  entries.push_back(WalEntry::abort_marker(tx));
  entries.push_back(WalEntry::snapshot_marker(uuid_of(6), 4096));
  entries.push_back(WalEntry::run_begin_marker(run, 1700000000000000ULL));
  entries.push_back(WalEntry::run_end_marker(run, 1700000000000000ULL, 12));
  for (const WalEntry& e : entries) {
    auto bytes = encode_wal_entry(e);
    FUZZ_CHECK(bytes.ok());
    c.add(std::string(1, '\0') + *bytes);
  }
}

// Reads the START file and the segment files of `dir` in order.
std::vector<std::string> log_files(Env* env, const std::string& dir) {
  std::vector<std::string> files;
  auto start = read_file(env, join_path(dir, log::kStartFileName));
  FUZZ_CHECK(start.ok());
  files.push_back(*start);
  auto names = env->list_dir(dir);
  FUZZ_CHECK(names.ok());
  for (const std::string& n : *names) {
    if (!log::parse_segment_file_name(n)) continue;
    auto bytes = read_file(env, join_path(dir, n));
    FUZZ_CHECK(bytes.ok());
    files.push_back(*bytes);
  }
  return files;
}

// The control byte for a START file and `segments` segment files.
unsigned char control_for(std::size_t segments, uint64_t first_number,
                          bool open_writer) {
  unsigned char c = 0x04;  // START present
  c |= static_cast<unsigned char>((segments - 1) & 0x03);
  c |= static_cast<unsigned char>(((first_number - 1) & 0x03) << 3);
  if (open_writer) c |= 0x20;
  return c;
}

void add_log(Corpus* c, Env* env, const std::string& dir,
             uint64_t first_number) {
  std::vector<std::string> files = log_files(env, dir);
  if (files.size() > 5) files.resize(5);  // START + at most 4 segments
  std::size_t segments = files.size() - 1;
  c->add(fuzz::join_files(control_for(segments, first_number, false), files));
  c->add(fuzz::join_files(control_for(segments, first_number, true), files));
  // The same with the last segment's final 5 bytes torn off.
  std::vector<std::string> torn = files;
  if (torn.back().size() > 70) torn.back().resize(torn.back().size() - 5);
  c->add(fuzz::join_files(control_for(segments, first_number, true), torn));
}

void log_reader(const fs::path& root) {
  Corpus c(root, "fuzz_log_reader");
  const uint64_t kSegment = 512;
  {
    auto env = new_mem_env();
    log::LogWriterOptions o;
    o.env = env.get();
    o.mode = DurabilityMode::none();
    o.segment_size = kSegment;
    auto w = log::LogWriter::open("/raw", o);
    FUZZ_CHECK(w.ok());
    for (int i = 0; i < 30; ++i) {
      if (i % 4 == 3) {
        std::vector<std::string_view> batch = {"batch-a", "batch-b", "batch-c"};
        FUZZ_CHECK((*w)->append(batch).ok());
      } else {
        FUZZ_CHECK((*w)->append("raw record " + std::to_string(i)).ok());
      }
    }
    add_log(&c, env.get(), "/raw", 1);
    // Retire the first segments: START now names a later one.
    auto removed = (*w)->remove_segments_before((*w)->end_lsn() - 200);
    FUZZ_CHECK(removed.ok());
    FUZZ_CHECK((*w)->close().ok());
    add_log(&c, env.get(), "/raw", 1 + *removed);
  }
  {
    auto env = new_mem_env();
    mvcc::WalOptions o;
    o.env = env.get();
    o.mode = DurabilityMode::none();
    o.segment_size = kSegment;
    auto wal = mvcc::WAL::open("/mvcc", o);
    FUZZ_CHECK(wal.ok());
    mvcc::RunId run = uuid_of(1);
    for (uint64_t t = 1; t <= 8; ++t) {
      std::vector<mvcc::WALEntry> txn = {
          mvcc::BeginTxn{t, run, 1000 + t},
          mvcc::Write{run,
                      mvcc::Key::new_kv(mvcc::Namespace::for_run(run),
                                        "k" + std::to_string(t)),
                      mvcc::Value::integer(static_cast<int64_t>(t)), t},
          mvcc::CommitTxn{t, run}};
      FUZZ_CHECK((*wal)->append_transaction(txn).ok());
    }
    FUZZ_CHECK((*wal)->close().ok());
    add_log(&c, env.get(), "/mvcc", 1);
  }
  {
    auto env = new_mem_env();
    txlog::WalWriterOptions o;
    o.env = env.get();
    o.mode = DurabilityMode::none();
    o.segment_size = kSegment;
    auto w = txlog::WalWriter::open("/tx", o);
    FUZZ_CHECK(w.ok());
    for (int i = 0; i < 8; ++i) {
      txlog::Transaction t = txlog::Transaction::create();
      t.kv_put("k" + std::to_string(i), "v").event_append("e");
      FUZZ_CHECK((*w)->commit_atomic(t).ok());
    }
    FUZZ_CHECK((*w)->close().ok());
    add_log(&c, env.get(), "/tx", 1);
  }
  // Degenerate directories: one empty segment, and no START.
  c.add(fuzz::join_files(0x00, {std::string()}));
  c.add(fuzz::join_files(0x01, {std::string(64, '\0'), std::string("x")}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <fuzz/corpus directory>\n", argv[0]);
    return 2;
  }
  fs::path root(argv[1]);
  record_framing(root);
  mvcc_entry(root);
  txlog_entry(root);
  log_reader(root);
  return 0;
}
