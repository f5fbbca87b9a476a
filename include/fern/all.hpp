// Everything fern has in one include: the everyday API (fern/fern.hpp) plus TLS, HTTP and the Redis,
// MySQL and AMQP clients. Convenient for small programs; a large code base includes per use.
#pragma once

#include "fern/aio/open_connection.hpp"
#include "fern/clients/amqp/channel.hpp"
#include "fern/clients/amqp/connection.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "fern/clients/mysql/pool.hpp"
#include "fern/clients/mysql/transaction.hpp"
#include "fern/clients/redis/client.hpp"
#include "fern/clients/redis/subscriber.hpp"
#include "fern/fern.hpp"
#include "fern/http/client.hpp"
#include "fern/http/client_response.hpp"
#include "fern/http/json.hpp"
#include "fern/http/router.hpp"
#include "fern/http/server.hpp"
#include "fern/http/url.hpp"
#include "fern/net/tls_context.hpp"
#include "fern/net/tls_stream.hpp"
