// JsonPath: the text form's parser and printer.

#include "strata/durability/mvcc/json_path.h"

#include <cstdio>
#include <cstdlib>

namespace strata::durability::mvcc {
namespace {

bool is_word_char(char c) {
  return c != '.' && c != '[' && c != ']' && c != '"' && c != '\\';
}

Status parse_error(std::string_view text, std::size_t pos,
                   std::string_view what) {
  std::string msg = "JSON path \"";
  msg.append(text);
  msg.append("\": ");
  msg.append(what);
  msg.append(" at character ");
  msg.append(std::to_string(pos));
  return Status::invalid_argument(msg);
}

}  // namespace

const std::string& PathSegment::as_key() const {
  if (!is_key()) {
    std::fprintf(stderr, "strata: index path segment read as a key\n");
    std::abort();
  }
  return std::get<0>(rep_);
}

uint64_t PathSegment::as_index() const {
  if (!is_index()) {
    std::fprintf(stderr, "strata: key path segment read as an index\n");
    std::abort();
  }
  return std::get<1>(rep_);
}

JsonPath JsonPath::key(std::string k) const& {
  JsonPath p = *this;
  p.segments.push_back(PathSegment::key(std::move(k)));
  return p;
}

JsonPath JsonPath::index(uint64_t i) const& {
  JsonPath p = *this;
  p.segments.push_back(PathSegment::index(i));
  return p;
}

Result<JsonPath> JsonPath::parse(std::string_view text) {
  JsonPath path;
  std::size_t i = 0;
  const std::size_t n = text.size();
  bool need_segment = false;  // after a '.'
  while (i < n) {
    char c = text[i];
    if (c == '[') {
      ++i;
      if (i < n && text[i] == '"') {
        ++i;
        std::string key;
        bool closed = false;
        while (i < n) {
          char d = text[i++];
          if (d == '\\') {
            if (i >= n) return parse_error(text, i, "dangling escape");
            char e = text[i++];
            if (e != '"' && e != '\\') {
              return parse_error(text, i - 1, "unknown escape");
            }
            key.push_back(e);
          } else if (d == '"') {
            closed = true;
            break;
          } else {
            key.push_back(d);
          }
        }
        if (!closed) return parse_error(text, i, "unterminated quoted key");
        if (i >= n || text[i] != ']')
          return parse_error(text, i, "expected ']'");
        ++i;
        path.segments.push_back(PathSegment::key(std::move(key)));
      } else {
        std::size_t start = i;
        uint64_t v = 0;
        while (i < n && text[i] >= '0' && text[i] <= '9') {
          uint64_t digit = static_cast<uint64_t>(text[i] - '0');
          if (v > (UINT64_MAX - digit) / 10) {
            return parse_error(text, start, "index out of range");
          }
          v = v * 10 + digit;
          ++i;
        }
        if (i == start) return parse_error(text, i, "expected an index");
        if (i >= n || text[i] != ']')
          return parse_error(text, i, "expected ']'");
        ++i;
        path.segments.push_back(PathSegment::index(v));
      }
      need_segment = false;
    } else if (c == '.') {
      if (path.segments.empty() || need_segment) {
        return parse_error(text, i, "empty key");
      }
      ++i;
      need_segment = true;
      if (i < n && text[i] == '[') continue;  // a.["x"] is allowed
    } else {
      if (!path.segments.empty() && !need_segment) {
        return parse_error(text, i, "expected '.' or '['");
      }
      std::size_t start = i;
      while (i < n && is_word_char(text[i])) ++i;
      if (i == start) return parse_error(text, i, "unexpected character");
      path.segments.push_back(
          PathSegment::key(std::string(text.substr(start, i - start))));
      need_segment = false;
    }
  }
  if (need_segment) return parse_error(text, i, "empty key");
  return path;
}

std::string JsonPath::to_string() const {
  std::string out;
  bool first = true;
  for (const auto& seg : segments) {
    if (seg.is_index()) {
      out.push_back('[');
      out.append(std::to_string(seg.as_index()));
      out.push_back(']');
    } else {
      const std::string& k = seg.as_key();
      bool plain = !k.empty();
      for (char c : k) plain = plain && is_word_char(c);
      if (plain) {
        if (!first) out.push_back('.');
        out.append(k);
      } else {
        out.append("[\"");
        for (char c : k) {
          if (c == '"' || c == '\\') out.push_back('\\');
          out.push_back(c);
        }
        out.append("\"]");
      }
    }
    first = false;
  }
  return out;
}

}  // namespace strata::durability::mvcc
