// IntrusiveList: a doubly linked list whose nodes live inside the listed objects, so linking and
// unlinking never allocate and an object can remove itself in O(1) (a parked greenlet leaving a wait
// queue on timeout). Not thread-safe: each list belongs to one hub.
#pragma once

#include <cstddef>

namespace fern {

struct ListNode {
  ListNode* prev = nullptr;
  ListNode* next = nullptr;
  bool linked() const noexcept { return next != nullptr; }
  // Removes the node from whatever list holds it; a no-op when unlinked.
  void unlink() noexcept {
    if (!next) return;
    prev->next = next;
    next->prev = prev;
    prev = next = nullptr;
  }
};

// T must derive from ListNode (or use a distinct tag base for membership in several lists).
template <class T, class Node = ListNode>
class IntrusiveList {
 public:
  IntrusiveList() noexcept { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  ~IntrusiveList() { clear(); }

  bool empty() const noexcept { return head_.next == &head_; }
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const Node* p = head_.next; p != &head_; p = p->next) ++n;
    return n;
  }
  void push_back(T& item) noexcept { insert_before(&head_, as_node(item)); }
  void push_front(T& item) noexcept { insert_before(head_.next, as_node(item)); }
  T& front() noexcept { return as_item(head_.next); }
  T& back() noexcept { return as_item(head_.prev); }
  T* pop_front() noexcept {
    if (empty()) return nullptr;
    Node* n = head_.next;
    n->unlink();
    return &as_item(n);
  }
  void clear() noexcept {
    while (!empty()) head_.next->unlink();
  }
  // Lets go of every node without touching it, for a list that may outlive its nodes' memory; the
  // nodes keep stale links and must not be unlinked afterwards.
  void abandon() noexcept { head_.prev = head_.next = &head_; }

  template <class F>
  void for_each(F&& f) {
    for (Node* p = head_.next; p != &head_;) {
      Node* next = p->next;
      f(as_item(p));
      p = next;
    }
  }

 private:
  static Node* as_node(T& item) noexcept { return static_cast<Node*>(&item); }
  static T& as_item(Node* n) noexcept { return *static_cast<T*>(n); }
  static void insert_before(Node* pos, Node* n) noexcept {
    n->next = pos;
    n->prev = pos->prev;
    pos->prev->next = n;
    pos->prev = n;
  }
  Node head_;
};

}  // namespace fern
