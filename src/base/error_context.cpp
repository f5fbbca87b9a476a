#include "fern/base/error_context.hpp"

namespace fern {

std::string what_without_code(const std::system_error& e) {
  std::string text = e.what();
  const std::string suffix = ": " + e.code().message();
  if (text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
    text.resize(text.size() - suffix.size());
  } else if (text == e.code().message()) {
    text.clear();  // built without an argument: what() is the code's message alone
  }
  return text;
}

std::system_error with_context(const std::system_error& e, std::string_view context,
                               std::string_view already_said) {
  std::string inner = what_without_code(e);
  if (!already_said.empty() && inner.compare(0, already_said.size(), already_said) == 0) {
    inner.erase(0, already_said.size());
    // What is left is a detail of the same thing ("(::1)", the address a name resolved to).
    while (!inner.empty() && inner.front() == ' ') inner.erase(0, 1);
    if (inner.size() >= 2 && inner.front() == '(' && inner.back() == ')')
      inner = inner.substr(1, inner.size() - 2);
  }
  std::string text(context);
  if (!inner.empty()) text += " (" + inner + ")";
  return std::system_error(e.code(), text);
}

}  // namespace fern
