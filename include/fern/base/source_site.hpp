// SourceSite: where in the source a call was made, captured by a defaulted argument, as
// std::source_location is. fern has its own because clang before 15 cannot compile libstdc++'s
// std::source_location (it needs __builtin_source_location), and fern builds with both compilers;
// the __builtin_FILE family it uses instead is in both. Same accessors as std::source_location.
#pragma once

namespace fern {

class SourceSite {
 public:
  constexpr SourceSite() noexcept = default;

  static constexpr SourceSite current(const char* file = __builtin_FILE(), int line = __builtin_LINE(),
                                      const char* function = __builtin_FUNCTION()) noexcept {
    SourceSite site;
    site.file_ = file;
    site.line_ = static_cast<unsigned>(line);
    site.function_ = function;
    return site;
  }

  constexpr const char* file_name() const noexcept { return file_; }
  constexpr unsigned line() const noexcept { return line_; }  // 0: no site recorded
  constexpr const char* function_name() const noexcept { return function_; }

 private:
  const char* file_ = "";
  unsigned line_ = 0;
  const char* function_ = "";
};

}  // namespace fern
