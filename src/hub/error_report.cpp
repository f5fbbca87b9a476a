#include "fern/hub/error_report.hpp"

#include <cstdio>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"

namespace fern {

std::string_view to_string(ErrorReport::Source source) noexcept {
  switch (source) {
    case ErrorReport::Source::greenlet: return "greenlet";
    case ErrorReport::Source::link_callback: return "link callback";
    case ErrorReport::Source::hub_callback: return "hub callback";
    case ErrorReport::Source::threadsafe_callback: return "thread-safe callback";
    case ErrorReport::Source::raw_greenlet: return "raw greenlet";
    case ErrorReport::Source::coroutine: return "coroutine";
    case ErrorReport::Source::library_callback: return "library callback";
  }
  return "unknown";
}

std::string ErrorReport::describe() const {
  std::string who;
  if (greenlet_id != 0) {
    who = "'" + greenlet_name + "' (#" + std::to_string(greenlet_id) + ")";
  } else if (!greenlet_name.empty()) {
    who = "'" + greenlet_name + "'";
  }
  std::string what = describe_exception(error);
  switch (source) {
    case Source::greenlet: return "fern: greenlet " + who + " failed: " + what;
    case Source::link_callback: return "fern: a link callback of greenlet " + who + " threw: " + what;
    case Source::raw_greenlet: return "fern: uncaught exception in greenlet " + who + ": " + what;
    case Source::library_callback: return "fern: the " + where + " callback threw: " + what;
    default: return "fern: uncaught exception in a " + std::string(to_string(source)) + ": " + what;
  }
}

void print_error_report(const ErrorReport& report) noexcept {
  try {
    std::fprintf(stderr, "%s\n", report.describe().c_str());
  } catch (...) {
    std::fputs("fern: an uncaught error (out of memory describing it)\n", stderr);
  }
}

void report_callback_failure(std::string where) noexcept {
  ErrorReport report{ErrorReport::Source::library_callback, std::current_exception()};
  report.where = std::move(where);
  if (Hub* hub = Hub::current_if_exists()) {
    hub->report_error(report);
  } else {
    print_error_report(report);
  }
}

}  // namespace fern
