// Adding context to an error that is passed on. std::system_error's what() is its argument followed
// by ": " and the code's message; wrapping one in another with what() as part of the new argument
// says the code's message twice ("... (connect to 127.0.0.1:1: Connection refused): Connection
// refused"). These take the inner text without that suffix.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace fern {

// e.what() without the ": <e.code().message()>" std::system_error appended; the whole of what()
// when it does not end so (an exception that formats its own text).
std::string what_without_code(const std::system_error& e);

// A std::system_error with e's code and "<context> (<e's text without the code>)", whose what()
// then names the code's message once, at the end. `already_said`: a start of e's text that the
// context states already (the layer below naming the same endpoint, "fern: connect to host:port"),
// left out; what follows it, if anything, is kept.
std::system_error with_context(const std::system_error& e, std::string_view context,
                               std::string_view already_said = {});

}  // namespace fern
