// Value: the dynamically typed value stored under a Key and inside JSON
// documents: Null, Bool, Int (i64), Float (f64), String, Bytes, Array,
// Object.
//
// Equality is strict, as the original's: values of different kinds are never
// equal (Int(1) != Float(1.0)), and floats compare as IEEE numbers
// (NaN != NaN, -0.0 == 0.0). Unlike the original, an Object is a sorted map,
// so its iteration order, and with it its encoding, is deterministic.

#ifndef STRATA_DURABILITY_MVCC_VALUE_H_
#define STRATA_DURABILITY_MVCC_VALUE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace strata::durability::mvcc {

class Value {
 public:
  // The order is the original's variant index, which is also the tag byte
  // of the encoding.
  enum class Kind : uint8_t {
    kNull = 0,
    kBool = 1,
    kInt = 2,
    kFloat = 3,
    kString = 4,
    kBytes = 5,
    kArray = 6,
    kObject = 7,
  };
  using Array = std::vector<Value>;
  using Object = std::map<std::string, Value>;

  // Null.
  Value() = default;

  static Value null() { return Value(); }
  static Value boolean(bool b) { return Value(Rep(std::in_place_index<1>, b)); }
  static Value integer(int64_t i) {
    return Value(Rep(std::in_place_index<2>, i));
  }
  static Value floating(double d) {
    return Value(Rep(std::in_place_index<3>, d));
  }
  static Value string(std::string s) {
    return Value(Rep(std::in_place_index<4>, std::move(s)));
  }
  // Raw bytes; kept apart from String, as the original does.
  static Value bytes(std::string b) {
    return Value(Rep(std::in_place_index<5>, std::move(b)));
  }
  static Value array(Array a = {}) {
    return Value(Rep(std::in_place_index<6>, std::move(a)));
  }
  static Value object(Object o = {}) {
    return Value(Rep(std::in_place_index<7>, std::move(o)));
  }

  Kind kind() const { return static_cast<Kind>(rep_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_bytes() const { return kind() == Kind::kBytes; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  // The payload of a value of that kind. Asking for the wrong kind is a
  // programming error and aborts with a message (no exceptions).
  bool as_bool() const { return std::get<1>(checked(Kind::kBool)); }
  int64_t as_int() const { return std::get<2>(checked(Kind::kInt)); }
  double as_float() const { return std::get<3>(checked(Kind::kFloat)); }
  const std::string& as_string() const {
    return std::get<4>(checked(Kind::kString));
  }
  const std::string& as_bytes() const {
    return std::get<5>(checked(Kind::kBytes));
  }
  std::string& mutable_string() { return std::get<4>(checked(Kind::kString)); }
  std::string& mutable_bytes() { return std::get<5>(checked(Kind::kBytes)); }
  const Array& as_array() const { return std::get<6>(checked(Kind::kArray)); }
  Array& mutable_array() { return std::get<6>(checked(Kind::kArray)); }
  const Object& as_object() const {
    return std::get<7>(checked(Kind::kObject));
  }
  Object& mutable_object() { return std::get<7>(checked(Kind::kObject)); }

  // How deeply arrays and objects nest: 0 for a scalar, 1 for an array of
  // scalars, and so on.
  int depth() const;

  // A JSON-like rendering for messages and tools: strings quoted and
  // escaped, bytes as b"hex", floats with enough digits to round-trip.
  std::string to_string() const;

  // Strict equality (see the file comment).
  friend bool operator==(const Value& a, const Value& b);

  // Bitwise identity: like ==, except that floats compare by their bits, so
  // NaN is identical to the same NaN and -0.0 is not identical to 0.0. What
  // a round trip through the encoding preserves.
  friend bool identical(const Value& a, const Value& b);

 private:
  using Rep = std::variant<std::monostate, bool, int64_t, double, std::string,
                           std::string, Array, Object>;
  explicit Value(Rep rep) : rep_(std::move(rep)) {}
  const Rep& checked(Kind want) const;
  Rep& checked(Kind want);

  Rep rep_;
};

// "Null", "Bool", "Int", "Float", "String", "Bytes", "Array", "Object".
std::string_view value_kind_name(Value::Kind kind);

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_VALUE_H_
