// Uses the installed fern package the way a first program would: two greenlets hand control to each
// other, then each finishes and returns to main, its parent. Exits 0 when the switches ran in order.
#include <cstdio>
#include <string>

#include <fern/greenlet/greenlet.hpp>

int main() {
  std::string order;
  auto* main_greenlet = fern::Greenlet::current();
  fern::Greenlet* first_ptr = nullptr;
  fern::Greenlet* second_ptr = nullptr;
  bool first_was_current = false;

  fern::Greenlet first([&] {
    order += 'a';
    first_was_current = fern::Greenlet::current() == first_ptr;
    second_ptr->switch_to();
    order += 'c';
  });
  fern::Greenlet second([&] {
    order += 'b';
    first_ptr->switch_to();
    order += 'd';
  });
  first_ptr = &first;
  second_ptr = &second;

  first.switch_to();  // a, then b, then back into first for c; first ends and returns here.
  order += '|';
  second.switch_to();  // second resumes after its switch, adds d and ends.

  const bool back_in_main = fern::Greenlet::current() == main_greenlet;
  if (order != "abc|d" || !first_was_current || !back_in_main) {
    std::fprintf(stderr,
                 "fern_consumer: order \"%s\" (want \"abc|d\"), first_was_current=%d, back_in_main=%d\n",
                 order.c_str(), first_was_current, back_in_main);
    return 1;
  }
  std::puts("fern_consumer: greenlets switched in order");
  return 0;
}
