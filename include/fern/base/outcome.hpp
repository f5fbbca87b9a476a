// Outcome and OperationError: what a failed request did to the server's state, told the same way by
// every client (Redis, MySQL, HTTP). The rule they follow: for each operation the caller can tell
// "applied" (it returned), "not applied" (OperationError with Outcome::not_applied) and "unknown"
// (Outcome::unknown); a client never sends a request again on its own once any byte of it may have
// reached the server, so "unknown" is only ever resolved by the caller, who knows whether the
// request is safe to repeat. See docs/design/outcomes.md for what each client reports when.
#pragma once

#include <string>
#include <system_error>

namespace fern {

// What a failed request did on the server.
enum class Outcome {
  // Certainly not applied: rejected by the server, or not one byte of it left this process (the
  // connection failed, was known dead, or the call gave up before sending). Safe to send again.
  not_applied,
  // Bytes of it may have reached the server before the connection was lost or the call timed out:
  // it may have been applied, once. Only the caller can decide whether to check or resend.
  unknown,
};

const char* to_string(Outcome outcome) noexcept;

// A failed request: the error code and message say what failed (as any std::system_error, so code
// that catches std::system_error keeps working), outcome() what it means for the server's state.
class OperationError : public std::system_error {
 public:
  OperationError(std::error_code code, const std::string& what, Outcome outcome)
      : std::system_error(code, what), outcome_(outcome) {}
  // Rewraps a failure that says nothing about the outcome, keeping its code and message.
  OperationError(const std::system_error& error, Outcome outcome)
      : std::system_error(error), outcome_(outcome) {}

  Outcome outcome() const noexcept { return outcome_; }
  bool not_applied() const noexcept { return outcome_ == Outcome::not_applied; }

 private:
  Outcome outcome_;
};

}  // namespace fern
