// JsonPath: a path into a JSON document held as a Value tree, as a list of
// segments, each an object key or an array index.
//
// Text form (our own; the original had no parser): segments joined by '.',
// indexes in brackets, keys that are not plain words in brackets and quotes:
//   ""            the root (the whole document)
//   a.b[3]        key "a", key "b", index 3
//   [0].name      index 0, key "name"
//   a["x.y"]      key "a", key "x.y"  (\" and \\ escape inside quotes)

#ifndef STRATA_DURABILITY_MVCC_JSON_PATH_H_
#define STRATA_DURABILITY_MVCC_JSON_PATH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "strata/durability/result.h"

namespace strata::durability::mvcc {

class PathSegment {
 public:
  // The original's variant order, which is also the tag byte on disk.
  enum class Kind : uint8_t { kKey = 0, kIndex = 1 };

  static PathSegment key(std::string k) {
    return PathSegment(Rep(std::in_place_index<0>, std::move(k)));
  }
  static PathSegment index(uint64_t i) {
    return PathSegment(Rep(std::in_place_index<1>, i));
  }

  Kind kind() const { return static_cast<Kind>(rep_.index()); }
  bool is_key() const { return rep_.index() == 0; }
  bool is_index() const { return rep_.index() == 1; }
  // Precondition: is_key() / is_index() (aborts otherwise).
  const std::string& as_key() const;
  uint64_t as_index() const;

  friend bool operator==(const PathSegment&, const PathSegment&) = default;

 private:
  using Rep = std::variant<std::string, uint64_t>;
  explicit PathSegment(Rep rep) : rep_(std::move(rep)) {}
  Rep rep_;
};

struct JsonPath {
  std::vector<PathSegment> segments;

  static JsonPath root() { return {}; }
  // Parses the text form above; InvalidArgument saying where it failed.
  static Result<JsonPath> parse(std::string_view text);

  bool is_root() const { return segments.empty(); }
  JsonPath key(std::string k) const&;
  JsonPath index(uint64_t i) const&;

  // The text form; parse(to_string()) gives the path back.
  std::string to_string() const;

  friend bool operator==(const JsonPath&, const JsonPath&) = default;
};

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_JSON_PATH_H_
