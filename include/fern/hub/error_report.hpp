// ErrorReport: an error nobody caught, on its way to the hub's error handler (gevent's
// hub.handle_error). A spawned greenlet that fails, a link callback, a hub callback or a
// thread-safe callback that throws: each becomes one report, handed to the handler the program set
// with Hub::set_error_handler, or printed on stderr when it set none. Nothing is dropped silently.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>

namespace fern {

struct ErrorReport {
  enum class Source {
    greenlet,             // a spawned greenlet ended with an exception (the greenlet keeps it too)
    link_callback,        // a callback given to link() threw
    hub_callback,         // a call_soon callback threw
    threadsafe_callback,  // a run_callback_threadsafe callback threw
    raw_greenlet,         // a plain Greenlet whose parent is the hub let an exception out
    coroutine,            // a coroutine resumed by the hub let an exception out
    library_callback,     // a callback a program gave to a library (a client's push handler) threw
  };
  Source source;
  std::exception_ptr error;
  std::uint64_t greenlet_id = 0;  // the spawned greenlet concerned; 0 for none
  std::string greenlet_name;      // its name, or "Greenlet-<id>"
  std::string where;              // for library_callback: which one ("redis on_push")

  // One line, as the default handler prints it: "fern: greenlet 'worker' (#12) failed: ...".
  std::string describe() const;
};

std::string_view to_string(ErrorReport::Source source) noexcept;

using ErrorHandler = std::function<void(const ErrorReport&)>;

// The default handler: describe() on stderr.
void print_error_report(const ErrorReport& report) noexcept;

// Reports the exception being handled as a library_callback failure to the calling thread's hub
// (printed when the thread has none): for libraries that run a program's callbacks.
void report_callback_failure(std::string where) noexcept;

}  // namespace fern
