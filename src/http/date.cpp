#include "fern/http/date.hpp"

#include <array>

namespace fern::http {
namespace {

constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_two_digits(std::string& out, unsigned value) {
  out += static_cast<char>('0' + value / 10 % 10);
  out += static_cast<char>('0' + value % 10);
}

// `width` decimal digits of `text` at `pos`, or -1.
int digits_at(std::string_view text, std::size_t pos, std::size_t width) {
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::string format_http_date(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(t);
  const auto day = floor<days>(seconds);
  const year_month_day date(day);
  const hh_mm_ss<std::chrono::seconds> time(seconds - day);
  std::string out;
  out.reserve(29);
  out += kWeekdays[weekday(day).c_encoding()];
  out += ", ";
  append_two_digits(out, static_cast<unsigned>(date.day()));
  out += ' ';
  out += kMonths[static_cast<unsigned>(date.month()) - 1];
  out += ' ';
  const int y = static_cast<int>(date.year());
  append_two_digits(out, static_cast<unsigned>(y / 100));
  append_two_digits(out, static_cast<unsigned>(y % 100));
  out += ' ';
  append_two_digits(out, static_cast<unsigned>(time.hours().count()));
  out += ':';
  append_two_digits(out, static_cast<unsigned>(time.minutes().count()));
  out += ':';
  append_two_digits(out, static_cast<unsigned>(time.seconds().count()));
  out += " GMT";
  return out;
}

// IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  using namespace std::chrono;
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  unsigned month = 0;
  while (month < 12 && kMonths[month] != text.substr(8, 3)) ++month;
  const int d = digits_at(text, 5, 2), y = digits_at(text, 12, 4);
  const int h = digits_at(text, 17, 2), m = digits_at(text, 20, 2), s = digits_at(text, 23, 2);
  if (month == 12 || d < 0 || y < 0 || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60)
    return std::nullopt;
  const year_month_day date{year(y), std::chrono::month(month + 1), day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  const sys_days day_point(date);
  if (kWeekdays[weekday(day_point).c_encoding()] != text.substr(0, 3)) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits (1677-09-21 to 2262-04-11): converting a date outside
  // that range would overflow, so such a date is refused like any other unusable one.
  const sys_seconds point = day_point + hours(h) + minutes(m) + seconds(s);
  if (point < ceil<seconds>(system_clock::time_point::min()) ||
      point > floor<seconds>(system_clock::time_point::max()))
    return std::nullopt;
  return system_clock::time_point(point);
}

std::string_view HttpDateCache::at(std::chrono::system_clock::time_point t) {
  const auto second = std::chrono::floor<std::chrono::seconds>(t);
  if (text_.empty() || second != second_) {
    second_ = second;
    text_ = format_http_date(t);
  }
  return text_;
}

}  // namespace fern::http
