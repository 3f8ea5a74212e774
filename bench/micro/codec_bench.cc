// The encoders and decoders on their own, in memory: an MVCC Write entry
// (64-byte value) encoded, decoded fresh and decoded into a reused entry;
// a Transaction Log kv_put entry encoded and decoded; and one record framed
// (header and CRC) and parsed back, at a few payload sizes.

#include <benchmark/benchmark.h>

#include <string>

#include "strata/durability/mvcc/entry_codec.h"
#include "strata/durability/txlog/wal_entry.h"
#include "log/format.h"

namespace {

namespace mvcc = strata::durability::mvcc;
namespace txlog = strata::durability::txlog;
namespace log = strata::durability::log;
using strata::durability::Uuid;

mvcc::WALEntry sample_write() {
  const Uuid run = Uuid::new_v7();
  const mvcc::Namespace ns = mvcc::Namespace::for_run(run);
  return mvcc::Write{run, mvcc::Key::new_kv(ns, "key-1234"),
                     mvcc::Value::string(std::string(64, 'v')), 42};
}

void BM_MvccEncodeWrite(benchmark::State& state) {
  const mvcc::WALEntry e = sample_write();
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!mvcc::encode_entry(e, &out).ok()) state.SkipWithError("encode");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_MvccEncodeWrite);

void BM_MvccDecodeWrite(benchmark::State& state) {
  std::string bytes;
  if (!mvcc::encode_entry(sample_write(), &bytes).ok()) std::abort();
  for (auto _ : state) {
    auto e = mvcc::decode_entry(bytes);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_MvccDecodeWrite);

void BM_MvccDecodeWriteIntoReusedEntry(benchmark::State& state) {
  std::string bytes;
  if (!mvcc::encode_entry(sample_write(), &bytes).ok()) std::abort();
  mvcc::WALEntry e;
  for (auto _ : state) {
    if (!mvcc::decode_entry_into(bytes, &e).ok()) state.SkipWithError("dec");
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_MvccDecodeWriteIntoReusedEntry);

txlog::WalEntry sample_kv_put() {
  return txlog::WalEntry::for_run(txlog::WalEntryType::kKvPut, Uuid::new_v7(),
                                  Uuid::new_v7(),
                                  std::string(16, 'k') + std::string(64, 'v'));
}

void BM_TxlogEncodeKvPut(benchmark::State& state) {
  const txlog::WalEntry e = sample_kv_put();
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!txlog::encode_wal_entry(e, &out).ok()) state.SkipWithError("encode");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_TxlogEncodeKvPut);

void BM_TxlogDecodeKvPut(benchmark::State& state) {
  auto bytes = txlog::encode_wal_entry(sample_kv_put());
  if (!bytes.ok()) std::abort();
  for (auto _ : state) {
    auto e = txlog::decode_wal_entry(*bytes);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(bytes->size()));
}
BENCHMARK(BM_TxlogDecodeKvPut);

// Framing: header, seed and CRC around a payload of range(0) bytes.
void BM_RecordFrame(benchmark::State& state) {
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'p');
  std::string out;
  for (auto _ : state) {
    out.clear();
    log::append_record(&out, 0x1234567U, log::RecordType::kFull, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RecordFrame)->Arg(128)->Arg(4096)->Arg(65536);

void BM_RecordParse(benchmark::State& state) {
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'p');
  std::string framed;
  log::append_record(&framed, 0x1234567U, log::RecordType::kFull, payload);
  for (auto _ : state) {
    log::ParsedRecord rec;
    auto r = log::parse_record(framed, 0x1234567U, log::kMaxRecordSizeLimit,
                               &rec, nullptr);
    if (r != log::ParseResult::kValid) state.SkipWithError("parse");
    benchmark::DoNotOptimize(rec);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RecordParse)->Arg(128)->Arg(4096)->Arg(65536);

}  // namespace
