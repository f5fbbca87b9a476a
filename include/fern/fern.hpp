// The everyday API in one include: greenlets, the hub (spawn, sleep, timeouts, waiting on fds and
// on each other, the thread pool) and the synchronisation primitives.
#pragma once

#include "fern/base/clock.hpp"
#include "fern/base/error.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/greenlet/greenlet_local.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/thread_pool.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/hub/wait.hpp"
#include "fern/sync/async_result.hpp"
#include "fern/sync/channel.hpp"
#include "fern/sync/event.hpp"
#include "fern/sync/lock.hpp"
#include "fern/sync/pool.hpp"
#include "fern/sync/queue.hpp"
#include "fern/sync/semaphore.hpp"
