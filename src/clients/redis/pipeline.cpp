#include "fern/clients/redis/pipeline.hpp"

#include <utility>

namespace fern::redis {

void Pipeline::execute_into(std::vector<Reply>& replies, Duration timeout) {
  replies.clear();
  replies.resize(count_);
  const std::size_t count = count_;
  std::string batch;
  batch.swap(buffer_);
  count_ = 0;
  connection_->exchange(replies.data(), count, timeout, [&](std::string& out) {
    // Nothing else queued (the usual case): hand the batch over instead of copying it, and take
    // the connection's empty buffer back, so both keep their capacity across batches.
    if (out.empty()) {
      out.swap(batch);
    } else {
      out.append(batch);
    }
  });
  batch.clear();
  buffer_.swap(batch);
}

}  // namespace fern::redis
