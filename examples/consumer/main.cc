// The smallest program that uses an installed strata-durability: open a log
// in a temporary directory, append one record, read it back.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "strata/durability/durability_mode.h"
#include "strata/durability/log/log_reader.h"
#include "strata/durability/log/log_writer.h"
#include "strata/durability/status.h"

namespace sd = strata::durability;
namespace sl = strata::durability::log;

namespace {

int fail(const char* what, const sd::Status& status) {
  std::fprintf(stderr, "consumer: %s: %s\n", what, status.to_string().c_str());
  return 1;
}

int run(const std::string& dir) {
  constexpr std::string_view kPayload = "hello from the consumer";

  sl::LogWriterOptions options;
  options.mode = sd::DurabilityMode::strict();
  auto writer = sl::LogWriter::open(dir, options);
  if (!writer.ok()) return fail("open writer", writer.status());
  auto appended = (*writer)->append(kPayload);
  if (!appended.ok()) return fail("append", appended.status());
  if (sd::Status s = (*writer)->close(); !s.ok()) return fail("close", s);

  auto reader = sl::LogReader::open(dir);
  if (!reader.ok()) return fail("open reader", reader.status());
  sl::LogRecord record;
  auto got = (*reader)->next(&record);
  if (!got.ok()) return fail("read", got.status());
  if (!*got || record.payload != kPayload ||
      record.lsn != appended->first_lsn) {
    std::fprintf(stderr, "consumer: the record did not read back\n");
    return 1;
  }
  std::printf("consumer ok\n");
  return 0;
}

}  // namespace

int main() {
  std::string root =
      (std::filesystem::temp_directory_path() / "strata-consumer-XXXXXX")
          .string();
  if (::mkdtemp(root.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  int rc = run(root + "/log");
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return rc;
}
