#include "fern/base/intrusive_list.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace fern {
namespace {

struct Item : ListNode {
  int v;
  explicit Item(int v) : v(v) {}
};

TEST(IntrusiveList, FifoAndSelfUnlink) {
  Item a(1), b(2), c(3);
  IntrusiveList<Item> list;
  list.push_back(a);
  list.push_back(b);
  list.push_back(c);
  EXPECT_EQ(list.size(), 3u);
  b.unlink();  // an item leaves from the middle in O(1)
  EXPECT_FALSE(b.linked());
  std::vector<int> order;
  while (Item* i = list.pop_front()) order.push_back(i->v);
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  EXPECT_TRUE(list.empty());
}

TEST(IntrusiveList, PushFrontAndClear) {
  Item a(1), b(2);
  IntrusiveList<Item> list;
  list.push_back(a);
  list.push_front(b);
  EXPECT_EQ(list.front().v, 2);
  EXPECT_EQ(list.back().v, 1);
  list.clear();
  EXPECT_FALSE(a.linked());
  EXPECT_FALSE(b.linked());
}

TEST(IntrusiveList, AbandonedListOutlivesItsItemsWithoutTouchingThem) {
  IntrusiveList<Item> list;
  {
    auto gone = std::make_unique<Item>(1);
    list.push_back(*gone);
    list.abandon();  // the item's memory goes next; the list must not reach into it again
  }
  EXPECT_TRUE(list.empty());
  Item a(2);
  list.push_back(a);
  EXPECT_EQ(list.pop_front(), &a);
}  // under AddressSanitizer, a destructor that walked the abandoned item fails here

}  // namespace
}  // namespace fern
