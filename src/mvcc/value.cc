// Value: equality, identity, depth and printing.

#include "strata/durability/mvcc/value.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace strata::durability::mvcc {
namespace {

void append_quoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out->append(buf);
    } else {
      out->push_back(c);  // UTF-8 or not, as it is
    }
  }
  out->push_back('"');
}

void render(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out->append("null");
      return;
    case Value::Kind::kBool:
      out->append(v.as_bool() ? "true" : "false");
      return;
    case Value::Kind::kInt:
      out->append(std::to_string(v.as_int()));
      return;
    case Value::Kind::kFloat: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v.as_float());
      out->append(buf);
      // Keep floats visibly floats: 1 is an Int, 1.0 a Float.
      if (std::strpbrk(buf, ".eEni") == nullptr) out->append(".0");
      return;
    }
    case Value::Kind::kString:
      append_quoted(out, v.as_string());
      return;
    case Value::Kind::kBytes: {
      out->append("b\"");
      static constexpr char kHex[] = "0123456789abcdef";
      for (char c : v.as_bytes()) {
        auto u = static_cast<unsigned char>(c);
        out->push_back(kHex[u >> 4]);
        out->push_back(kHex[u & 15]);
      }
      out->push_back('"');
      return;
    }
    case Value::Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first) out->push_back(',');
        first = false;
        render(e, out);
      }
      out->push_back(']');
      return;
    }
    case Value::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (!first) out->push_back(',');
        first = false;
        append_quoted(out, k);
        out->push_back(':');
        render(e, out);
      }
      out->push_back('}');
      return;
    }
  }
}

template <bool kBitwise>
bool equal(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.as_bool() == b.as_bool();
    case Value::Kind::kInt:
      return a.as_int() == b.as_int();
    case Value::Kind::kFloat:
      if constexpr (kBitwise) {
        return std::bit_cast<uint64_t>(a.as_float()) ==
               std::bit_cast<uint64_t>(b.as_float());
      } else {
        return a.as_float() == b.as_float();  // IEEE: NaN != NaN, -0 == 0
      }
    case Value::Kind::kString:
      return a.as_string() == b.as_string();
    case Value::Kind::kBytes:
      return a.as_bytes() == b.as_bytes();
    case Value::Kind::kArray: {
      const auto& x = a.as_array();
      const auto& y = b.as_array();
      return x.size() == y.size() &&
             std::equal(x.begin(), x.end(), y.begin(), equal<kBitwise>);
    }
    case Value::Kind::kObject: {
      const auto& x = a.as_object();
      const auto& y = b.as_object();
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
        if (i->first != j->first || !equal<kBitwise>(i->second, j->second)) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view value_kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull:
      return "Null";
    case Value::Kind::kBool:
      return "Bool";
    case Value::Kind::kInt:
      return "Int";
    case Value::Kind::kFloat:
      return "Float";
    case Value::Kind::kString:
      return "String";
    case Value::Kind::kBytes:
      return "Bytes";
    case Value::Kind::kArray:
      return "Array";
    case Value::Kind::kObject:
      return "Object";
  }
  return "Unknown";
}

const Value::Rep& Value::checked(Kind want) const {
  if (kind() != want) {
    std::fprintf(stderr, "strata: Value of kind %s read as %s\n",
                 value_kind_name(kind()).data(), value_kind_name(want).data());
    std::abort();
  }
  return rep_;
}

Value::Rep& Value::checked(Kind want) {
  return const_cast<Rep&>(std::as_const(*this).checked(want));
}

int Value::depth() const {
  int d = 0;
  if (is_array()) {
    for (const auto& e : as_array()) d = std::max(d, e.depth());
    return d + 1;
  }
  if (is_object()) {
    for (const auto& [k, e] : as_object()) d = std::max(d, e.depth());
    return d + 1;
  }
  return 0;
}

std::string Value::to_string() const {
  std::string out;
  render(*this, &out);
  return out;
}

bool operator==(const Value& a, const Value& b) { return equal<false>(a, b); }

bool identical(const Value& a, const Value& b) { return equal<true>(a, b); }

}  // namespace strata::durability::mvcc
