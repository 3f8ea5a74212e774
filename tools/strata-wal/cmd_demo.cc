// `strata-wal demo [--dir DIR]`: the end-to-end demonstration ./scripts/run
// runs. It writes a realistic workload to both logs (agent runs with KV,
// JSON and vector entries in the MVCC WAL; cross-primitive transactions in
// the Transaction Log), forks a child that writes more and is killed with
// SIGKILL in the middle of a transaction, recovers both logs, and reports.
// The child acknowledges each commit over a pipe only after the commit
// returned, so the parent knows exactly what must survive. Exit 0 only if
// the recovered transactions are exactly the acknowledged ones.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "strata/durability/env.h"
#include "strata/durability/mvcc/mvcc_store.h"
#include "strata/durability/mvcc/replay.h"
#include "strata/durability/mvcc/wal.h"
#include "strata/durability/txlog/recovery.h"
#include "strata/durability/txlog/wal_writer.h"
#include "cli_util.h"
#include "commands.h"
#include "log_detect.h"
#include "workload.h"

namespace strata_wal {

namespace mv = strata::durability::mvcc;
namespace tx = strata::durability::txlog;

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// An MVCC transaction's identity: (run, txn id).
using MvccTxn = std::pair<std::string, uint64_t>;

// MvccStore that also records which transactions replay applied.
class RecordingStore : public mv::MvccStore {
 public:
  sd::Status on_transaction_commit(const mv::TxnInfo& txn) override {
    applied.emplace(txn.run_id.to_string(), txn.txn_id);
    return sd::Status::ok_status();
  }
  std::set<MvccTxn> applied;
};

// The deterministic MVCC workload of one agent run. Returns the committed
// transactions; `*next_txn` and `*version` advance.
sd::Status write_agent_run(mv::WAL* wal, const mv::RunId& run, int agent,
                           uint64_t seed, uint64_t* next_txn, uint64_t* version,
                           std::set<MvccTxn>* committed, int* aborted) {
  const mv::Namespace ns{"acme", "support-bot", fmt::format("agent-{}", agent),
                         run};
  auto commit = [&](std::vector<mv::WALEntry> data) -> sd::Status {
    const uint64_t id = (*next_txn)++;
    std::vector<mv::WALEntry> all;
    all.emplace_back(mv::BeginTxn{id, run, 0});
    for (auto& e : data) all.push_back(std::move(e));
    all.emplace_back(mv::CommitTxn{id, run});
    auto r = wal->append_transaction(all);
    if (!r.ok()) return r.status();
    committed->emplace(run.to_string(), id);
    return sd::Status::ok_status();
  };
  // 1: the run's key/value state, with values of every kind.
  uint64_t v = ++*version;
  mv::Value::Object flags{{"escalated", mv::Value::boolean(false)},
                          {"language", mv::Value::string("en")}};
  sd::Status s = commit({
      mv::Write{run, mv::Key::new_kv(ns, "status"),
                mv::Value::string("running"), v},
      mv::Write{run, mv::Key::new_kv(ns, "steps"), mv::Value::integer(0), v},
      mv::Write{run, mv::Key::new_kv(ns, "confidence"),
                mv::Value::floating(0.5), v},
      mv::Write{run, mv::Key::new_kv(ns, "flags"), mv::Value::object(flags), v},
      mv::Write{run, mv::Key::new_event(ns, 1),
                mv::Value::bytes(derive_value(seed, agent, 0, 16)), v},
  });
  if (!s.ok()) return s;
  // 2: a JSON conversation document, created then changed by path.
  v = ++*version;
  mv::Value::Array messages{mv::Value::string("hello"),
                            mv::Value::string("how can I help?")};
  mv::Value doc = mv::Value::object({{"messages", mv::Value::array(messages)},
                                     {"turns", mv::Value::integer(2)}});
  auto turns = mv::JsonPath::parse("turns");
  if (!turns.ok()) return turns.status();
  s = commit({
      mv::JsonCreate{run, "conversation", doc, v, 0},
      mv::JsonSet{run, "conversation", *turns, mv::Value::integer(3), v},
      mv::Write{run, mv::Key::new_kv(ns, "steps"), mv::Value::integer(1), v},
  });
  if (!s.ok()) return s;
  // 3: a vector collection of memories.
  v = ++*version;
  std::vector<mv::WALEntry> vec{mv::VectorCollectionCreate{
      run, "memories", 4, mv::DistanceMetric::kCosine, v}};
  for (uint64_t i = 0; i < 3; ++i) {
    mv::VectorUpsert up;
    up.run_id = run;
    up.collection = "memories";
    up.key = fmt::format("m{}", i);
    up.vector_id = i + 1;
    up.embedding = {1.0F + static_cast<float>(i), 0.5F, -0.25F, 0.125F};
    up.version = v;
    up.source_ref = mv::KvRef{run, "status"};
    vec.emplace_back(std::move(up));
  }
  s = commit(std::move(vec));
  if (!s.ok()) return s;
  // 4: a transaction the agent gives up on: begun, written, aborted.
  const uint64_t id = (*next_txn)++;
  for (const mv::WALEntry& e :
       {mv::WALEntry(mv::BeginTxn{id, run, 0}),
        mv::WALEntry(mv::Write{run, mv::Key::new_kv(ns, "status"),
                               mv::Value::string("abandoned"), ++*version}),
        mv::WALEntry(mv::AbortTxn{id, run})}) {
    auto r = wal->append(e);
    if (!r.ok()) return r.status();
  }
  ++*aborted;
  return sd::Status::ok_status();
}

// The Transaction Log workload of one run: cross-primitive transactions,
// run markers, and one aborted transaction.
sd::Status write_txlog_run(tx::WalWriter* w, const tx::RunId& run, int agent,
                           std::set<std::string>* committed, int* aborted) {
  auto r = w->write_run_begin(run);
  if (!r.ok()) return r.status();
  auto t1 = tx::Transaction::for_run(run);
  t1.kv_put(fmt::format("agent-{}/status", agent), "running")
      .json_create("conversation", R"({"messages":["hello"],"turns":1})")
      .event_append("tool_call:search")
      .state_init("phase", "planning");
  auto c = w->commit_atomic(t1, 1);
  if (!c.ok()) return c.status();
  committed->insert(t1.id().to_string());
  auto t2 = tx::Transaction::for_run(run);
  t2.state_transition("phase", "planning", "acting")
      .kv_put(fmt::format("agent-{}/steps", agent), "1")
      .event_append("tool_result:3 hits");
  c = w->commit_atomic(t2, 2);
  if (!c.ok()) return c.status();
  committed->insert(t2.id().to_string());
  const tx::TxId gone = w->begin_transaction();
  r = w->write_tx_entry_for_run(
      gone, run, tx::WalEntryType::kKvPut,
      tx::TxEntry(tx::KvPutOp{"draft", "discarded"}).to_wal_payload());
  if (!r.ok()) return r.status();
  r = w->abort_transaction(gone);
  if (!r.ok()) return r.status();
  ++*aborted;
  r = w->write_run_end(run, 3);
  return r.ok() ? sd::Status::ok_status() : r.status();
}

[[noreturn]] void child_fail(int fd, const sd::Status& s) {
  write_line(fd, "ERR " + s.to_string() + "\n");
  ::_exit(3);
}

// The child: commits more transactions to both logs, acknowledging each
// after its commit returned, then stops in the middle of a transaction on
// both logs and waits to be killed.
[[noreturn]] void child_main(int fd, const std::string& mdir,
                             const std::string& tdir, const mv::RunId& run,
                             uint64_t next_txn, uint64_t version,
                             uint64_t seed) {
  mv::WalOptions mo;
  mo.mode = sd::DurabilityMode::strict();
  auto wal = mv::WAL::open(mdir, mo);
  if (!wal.ok()) child_fail(fd, wal.status());
  tx::WalWriterOptions to;
  to.mode = sd::DurabilityMode::strict();
  auto w = tx::WalWriter::open(tdir, to);
  if (!w.ok()) child_fail(fd, w.status());
  const mv::Namespace ns = mv::Namespace::for_run(run);
  for (uint64_t i = 0; i < 5; ++i) {
    const uint64_t id = next_txn++;
    const uint64_t v = ++version;
    std::vector<mv::WALEntry> all{mv::BeginTxn{id, run, 0}};
    for (uint64_t e = 0; e < 3; ++e) {
      all.emplace_back(
          mv::Write{run, mv::Key::new_kv(ns, fmt::format("late-{}-{}", id, e)),
                    mv::Value::string(derive_value(seed, id, e, 24)), v});
    }
    all.emplace_back(mv::CommitTxn{id, run});
    auto r = (*wal)->append_transaction(all);
    if (!r.ok()) child_fail(fd, r.status());
    write_line(fd,
               fmt::format("M {} {} {}\n", run.to_string(), id, r->commit_lsn));
    auto t = tx::Transaction::for_run(run);
    t.kv_put(fmt::format("late-{}", i), derive_value(seed, i, 0, 24))
        .event_append(fmt::format("late event {}", i));
    auto c = (*w)->commit_atomic(t, 100 + i);
    if (!c.ok()) child_fail(fd, c.status());
    write_line(fd, fmt::format("T {} {}\n", t.id().to_string(), *c));
  }
  // Half a transaction in each log: entries written, no commit.
  const uint64_t id = next_txn++;
  auto r = (*wal)->append(mv::BeginTxn{id, run, 0});
  if (!r.ok()) child_fail(fd, r.status());
  r = (*wal)->append(mv::Write{run, mv::Key::new_kv(ns, "half"),
                               mv::Value::string("never committed"),
                               ++version});
  if (!r.ok()) child_fail(fd, r.status());
  const tx::TxId half = (*w)->begin_transaction();
  auto l =
      (*w)->write_tx_entry_for_run(half, run, tx::WalEntryType::kKvPut, "half");
  if (!l.ok()) child_fail(fd, l.status());
  write_line(fd, fmt::format("MID {} {}\n", id, half.to_string()));
  while (true) ::pause();
}

}  // namespace

int run_demo(const DemoArgs& args) {
  std::string dir = args.dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/strata-wal-demo-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      print_error("demo", std::string("cannot make a temporary directory: ") +
                              std::strerror(errno));
      return kExitUsage;
    }
    dir = tmpl;
  }
  const std::string mdir = sd::join_path(dir, "mvcc");
  const std::string tdir = sd::join_path(dir, "txlog");
  for (const std::string& d : {mdir, tdir}) {
    std::string error;
    auto empty = dir_is_missing_or_empty(d, &error);
    if (!empty || !*empty) {
      print_error("demo", error.empty() ? d + " is not empty; give demo a "
                                              "new or empty --dir"
                                        : error);
      return kExitUsage;
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    print_error("demo", "cannot create " + dir + ": " + ec.message());
    return kExitUsage;
  }
  sd::Status s;
  fmt::print("strata-wal demo in {}\n\n", dir);
  const auto t_all = Clock::now();

  // Step 1: the MVCC WAL.
  auto t = Clock::now();
  std::set<MvccTxn> mvcc_acked;
  int mvcc_aborted = 0;
  uint64_t next_txn = 1;
  uint64_t version = 0;
  std::vector<mv::RunId> runs;
  {
    mv::WalOptions mo;
    mo.mode = sd::DurabilityMode::strict();
    auto wal = mv::WAL::open(mdir, mo);
    if (!wal.ok()) {
      print_error("demo", wal.status().to_string());
      return kExitLogProblem;
    }
    for (int agent = 1; agent <= 3; ++agent) {
      runs.push_back(sd::Uuid::new_v7());
      s = write_agent_run(wal->get(), runs.back(), agent, args.seed, &next_txn,
                          &version, &mvcc_acked, &mvcc_aborted);
      if (!s.ok()) {
        print_error("demo", s.to_string());
        return kExitLogProblem;
      }
    }
    s = (*wal)->close();
    if (!s.ok()) {
      print_error("demo", s.to_string());
      return kExitLogProblem;
    }
  }
  fmt::print(
      "1. MVCC WAL: 3 agent runs, {} committed transactions (KV, JSON, "
      "vector), {} aborted        {:8.1f} ms\n",
      mvcc_acked.size(), mvcc_aborted, ms_since(t));

  // Step 2: the Transaction Log.
  t = Clock::now();
  std::set<std::string> tx_acked;
  int tx_aborted = 0;
  {
    tx::WalWriterOptions to;
    to.mode = sd::DurabilityMode::strict();
    auto w = tx::WalWriter::open(tdir, to);
    if (!w.ok()) {
      print_error("demo", w.status().to_string());
      return kExitLogProblem;
    }
    for (int agent = 1; agent <= 3; ++agent) {
      s = write_txlog_run(w->get(), runs[agent - 1], agent, &tx_acked,
                          &tx_aborted);
      if (!s.ok()) {
        print_error("demo", s.to_string());
        return kExitLogProblem;
      }
    }
    s = (*w)->close();
    if (!s.ok()) {
      print_error("demo", s.to_string());
      return kExitLogProblem;
    }
  }
  fmt::print(
      "2. Transaction Log: {} committed cross-primitive transactions, "
      "{} aborted        {:8.1f} ms\n",
      tx_acked.size(), tx_aborted, ms_since(t));

  // Step 3: a child writes more and is killed mid-transaction.
  t = Clock::now();
  int fds[2];
  if (::pipe(fds) != 0) {
    print_error("demo", std::string("pipe: ") + std::strerror(errno));
    return kExitLogProblem;
  }
  std::fflush(stdout);
  const mv::RunId child_run = sd::Uuid::new_v7();
  const pid_t pid = ::fork();
  if (pid < 0) {
    print_error("demo", std::string("fork: ") + std::strerror(errno));
    return kExitLogProblem;
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], mdir, tdir, child_run, next_txn, version, args.seed);
  }
  ::close(fds[1]);
  std::string buffer;
  bool mid = false;
  std::string child_error;
  int child_mvcc = 0;
  int child_tx = 0;
  char chunk[4096];
  while (!mid) {
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      char run_buf[64] = {0};
      unsigned long long id = 0;
      unsigned long long lsn = 0;
      if (line.rfind("M ", 0) == 0 &&
          std::sscanf(line.c_str(), "M %63s %llu %llu", run_buf, &id, &lsn) ==
              3) {
        mvcc_acked.emplace(run_buf, id);
        ++child_mvcc;
      } else if (line.rfind("T ", 0) == 0 &&
                 std::sscanf(line.c_str(), "T %63s %llu", run_buf, &lsn) == 2) {
        tx_acked.insert(run_buf);
        ++child_tx;
      } else if (line.rfind("MID", 0) == 0) {
        mid = true;
      } else if (line.rfind("ERR ", 0) == 0) {
        child_error = line.substr(4);
      }
    }
  }
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  ::close(fds[0]);
  const bool killed = WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL;
  fmt::print(
      "3. crash: child {} acknowledged {} MVCC + {} Transaction Log "
      "commits, began one more in each, {}        {:8.1f} ms\n",
      pid, child_mvcc, child_tx,
      killed ? "killed with SIGKILL mid-transaction" : "exited before the kill",
      ms_since(t));
  if (!child_error.empty()) {
    print_error("demo", "the child failed: " + child_error);
    return kExitLogProblem;
  }

  // Step 4: recovery.
  t = Clock::now();
  RecordingStore store;
  auto mstats = mv::replay_wal(mdir, &store);
  if (!mstats.ok()) {
    print_error("demo", mstats.status().to_string());
    return kExitLogProblem;
  }
  const double mvcc_ms = ms_since(t);
  t = Clock::now();
  auto txout = tx::RecoveryEngine::replay_wal_committed(tdir, 0);
  if (!txout.ok()) {
    print_error("demo", txout.status().to_string());
    return kExitLogProblem;
  }
  const double tx_ms = ms_since(t);
  std::set<std::string> tx_recovered;
  for (const auto& c : txout->transactions) {
    tx_recovered.insert(c.tx_id.to_string());
  }
  const mv::ReplayStats& ms = *mstats;
  const tx::ReplayResult& tr = txout->result;
  fmt::print("4. recovery: MVCC WAL {:.1f} ms, Transaction Log {:.1f} ms\n\n",
             mvcc_ms, tx_ms);

  fmt::print("MVCC WAL ({})\n", mdir);
  fmt::print(
      "  committed:  {} transactions applied ({} writes, {} JSON, {} "
      "vector ops), final version {}\n",
      ms.txns_applied, ms.writes_applied,
      ms.json_creates_applied + ms.json_sets_applied,
      ms.vector_collection_creates_applied + ms.vector_upserts_applied,
      ms.final_version);
  fmt::print(
      "  discarded:  {} aborted (the agent aborted them), {} "
      "incomplete (no CommitTxn: the writer was killed first)\n",
      ms.aborted_txns, ms.incomplete_txns);
  fmt::print(
      "  store:      {} live keys, {} JSON documents, {} vector "
      "collections; {} entries, {} bytes read\n",
      store.live_key_count(), store.json_document_count(),
      store.vector_collection_count(), ms.entries_read, ms.bytes_read);
  for (const auto& p : ms.problems)
    fmt::print("  problem:    {}\n", p.to_string());
  fmt::print("Transaction Log ({})\n", tdir);
  fmt::print(
      "  committed:  {} transactions recovered, {} entries replayed, "
      "{} run markers\n",
      tr.transactions_recovered, tr.entries_replayed,
      tr.non_transactional_entries);
  fmt::print(
      "  discarded:  {} aborted (abort marker), {} orphaned (no commit "
      "marker: the writer was killed first), {} incomplete\n",
      tr.aborted_transactions, tr.orphaned_transactions,
      tr.incomplete_transactions);
  for (const auto& p : tr.problems)
    fmt::print("  problem:    {}\n", p.to_string());

  const bool mvcc_ok = store.applied == mvcc_acked && ms.incomplete_txns == 1 &&
                       ms.aborted_txns == static_cast<uint64_t>(mvcc_aborted);
  const bool tx_ok =
      tx_recovered == tx_acked && tr.orphaned_transactions == 1 &&
      tr.aborted_transactions == static_cast<uint64_t>(tx_aborted);
  fmt::print(
      "\ncheck: MVCC WAL {} ({} acknowledged, {} recovered); "
      "Transaction Log {} ({} acknowledged, {} recovered)\n",
      mvcc_ok ? "OK" : "MISMATCH", mvcc_acked.size(), store.applied.size(),
      tx_ok ? "OK" : "MISMATCH", tx_acked.size(), tx_recovered.size());
  fmt::print(
      "total {:.1f} ms; the logs are kept in {} (try: strata-wal dump "
      "{} --committed)\n",
      ms_since(t_all), dir, mdir);
  std::fflush(stdout);
  if (!mvcc_ok || !tx_ok || !killed) {
    print_error("demo",
                "what was recovered does not match what was "
                "acknowledged");
    return kExitLogProblem;
  }
  return kExitOk;
}

}  // namespace strata_wal
