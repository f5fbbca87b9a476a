/* bench/amqp peer: rabbitmq-c (librabbitmq 0.11), the C client, in its own blocking loop.
 *
 *   rabbitmq_c_bench --port P --test publish|confirm|confirm_batch|consume|fill|purge --size BYTES
 *                    --messages N [--queue NAME] [--batch B]
 *
 * Every test uses one connection, channel 1, persistent messages (delivery_mode 2) to the default
 * exchange with the routing key of a durable queue:
 *   publish        amqp_basic_publish N times; the run ends when the queue holds all N (passive
 *                  queue.declare, repeated every millisecond until its message count is N);
 *   confirm        confirm.select, then each publish waits for its basic.ack (amqp_simple_wait_frame):
 *                  one round trip per message, the library's documented way;
 *   confirm_batch  confirm.select, B publishes in flight, then amqp_simple_wait_frame until the ack
 *                  that covers the batch's last tag (acks may be `multiple`);
 *   consume        basic.qos prefetch 100, basic.consume, amqp_consume_message + amqp_basic_ack per
 *                  message until N were taken (the queue must hold N: see fill);
 *   fill           purges the queue and publishes N (as publish): the untimed set-up of consume;
 *   purge          only purges the queue (the driver's reset between runs).
 * Prints one line: `messages=N seconds=S cpu_seconds=C` for the timed part only (process CPU from
 * getrusage). Exits non-zero, with the reason on stderr, on any failure or a wrong message count.
 */
#if defined(__has_include)
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
/* Debian 12 ships rabbitmq-c 0.11 with its headers at the top level. */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#endif
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void die(const char* what) {
  fprintf(stderr, "rabbitmq_c_bench: %s\n", what);
  exit(1);
}

static void check_reply(amqp_rpc_reply_t reply, const char* what) {
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
    fprintf(stderr, "rabbitmq_c_bench: %s: %s\n", what, amqp_error_string2(reply.library_error));
  else
    fprintf(stderr, "rabbitmq_c_bench: %s: broker closed (method 0x%08x)\n", what, reply.reply.id);
  exit(1);
}

static void check_status(int status, const char* what) {
  if (status == AMQP_STATUS_OK) return;
  fprintf(stderr, "rabbitmq_c_bench: %s: %s\n", what, amqp_error_string2(status));
  exit(1);
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct bench {
  amqp_connection_state_t conn;
  amqp_bytes_t queue;
  amqp_bytes_t body;
  amqp_basic_properties_t props;
  long messages;
  long batch;
};

static void connect_broker(struct bench* b, int port) {
  b->conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(b->conn);
  if (!socket) die("amqp_tcp_socket_new");
  check_status(amqp_socket_open(socket, "127.0.0.1", port), "connect");
  check_reply(amqp_login(b->conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
  amqp_channel_open(b->conn, 1);
  check_reply(amqp_get_rpc_reply(b->conn), "channel.open");
  amqp_queue_declare(b->conn, 1, b->queue, 0, 1, 0, 0, amqp_empty_table);
  check_reply(amqp_get_rpc_reply(b->conn), "queue.declare");
}

/* Passive queue.declare: answered after every earlier method on the channel. */
static uint32_t queue_depth(struct bench* b) {
  amqp_queue_declare_ok_t* ok = amqp_queue_declare(b->conn, 1, b->queue, 1, 0, 0, 0, amqp_empty_table);
  check_reply(amqp_get_rpc_reply(b->conn), "queue.declare passive");
  return ok->message_count;
}

static void purge(struct bench* b) {
  amqp_queue_purge(b->conn, 1, b->queue);
  check_reply(amqp_get_rpc_reply(b->conn), "queue.purge");
}

static void publish_one(struct bench* b) {
  check_status(amqp_basic_publish(b->conn, 1, amqp_empty_bytes, b->queue, 0, 0, &b->props, b->body),
               "publish");
}

/* The end of an unconfirmed run: the queue holds all N. A passive queue.declare follows every earlier
 * publish on the channel, but the queue process may still be taking them in, so it is asked again
 * (every millisecond, for at most a minute) until the count is N. */
static void wait_until_queued(struct bench* b) {
  for (int i = 0; i < 60000; ++i) {
    uint32_t depth = queue_depth(b);
    if (depth == (uint32_t)b->messages) return;
    if (depth > (uint32_t)b->messages) die("the queue holds more messages than were published");
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
  die("the queue never held every published message");
}

static void publish_all(struct bench* b) {
  for (long i = 0; i < b->messages; ++i) publish_one(b);
  wait_until_queued(b);
}

/* Reads frames until a basic.ack covers `tag`; a nack or anything else on the channel is a failure. */
static void wait_for_ack(struct bench* b, uint64_t tag) {
  for (;;) {
    amqp_frame_t frame;
    check_status(amqp_simple_wait_frame(b->conn, &frame), "wait for basic.ack");
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    if (frame.payload.method.id != AMQP_BASIC_ACK_METHOD) die("expected basic.ack");
    const amqp_basic_ack_t* ack = (const amqp_basic_ack_t*)frame.payload.method.decoded;
    if (ack->delivery_tag == tag || (ack->multiple && ack->delivery_tag >= tag)) {
      amqp_maybe_release_buffers(b->conn);
      return;
    }
  }
}

static void confirm_select(struct bench* b) {
  amqp_confirm_select(b->conn, 1);
  check_reply(amqp_get_rpc_reply(b->conn), "confirm.select");
}

static void confirm_each(struct bench* b) {
  for (long i = 1; i <= b->messages; ++i) {
    publish_one(b);
    wait_for_ack(b, (uint64_t)i);
  }
}

static void confirm_batches(struct bench* b) {
  for (long sent = 0; sent < b->messages;) {
    long n = b->messages - sent < b->batch ? b->messages - sent : b->batch;
    for (long i = 0; i < n; ++i) publish_one(b);
    sent += n;
    wait_for_ack(b, (uint64_t)sent);
  }
}

static void consume(struct bench* b) {
  amqp_basic_qos(b->conn, 1, 0, 100, 0);
  check_reply(amqp_get_rpc_reply(b->conn), "basic.qos");
  amqp_basic_consume(b->conn, 1, b->queue, amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  check_reply(amqp_get_rpc_reply(b->conn), "basic.consume");
  for (long i = 0; i < b->messages; ++i) {
    amqp_envelope_t envelope;
    amqp_maybe_release_buffers(b->conn);
    check_reply(amqp_consume_message(b->conn, &envelope, NULL, 0), "consume");
    if (envelope.message.body.len != b->body.len) die("delivery of the wrong size");
    check_status(amqp_basic_ack(b->conn, 1, envelope.delivery_tag, 0), "basic.ack");
    amqp_destroy_envelope(&envelope);
  }
}

int main(int argc, char** argv) {
  int port = 5672;
  long size = 100;
  const char* test = "publish";
  const char* queue = "fern.bench";
  struct bench b;
  memset(&b, 0, sizeof b);
  b.messages = 10000;
  b.batch = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port"))
      port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--test"))
      test = argv[i + 1];
    else if (!strcmp(argv[i], "--size"))
      size = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--messages"))
      b.messages = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--queue"))
      queue = argv[i + 1];
    else if (!strcmp(argv[i], "--batch"))
      b.batch = atol(argv[i + 1]);
    else
      die("unknown argument");
  }
  if (size < 0 || b.messages <= 0 || b.batch <= 0) die("bad --size, --messages or --batch");
  char* payload = malloc((size_t)size + 1);
  memset(payload, 'x', (size_t)size);
  b.body.bytes = payload;
  b.body.len = (size_t)size;
  b.queue = amqp_cstring_bytes(queue);
  b.props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  b.props.delivery_mode = 2;
  connect_broker(&b, port);

  int fill = !strcmp(test, "fill");
  if (strcmp(test, "consume")) purge(&b);
  if (!strcmp(test, "confirm") || !strcmp(test, "confirm_batch")) confirm_select(&b);
  const double cpu0 = cpu_seconds();
  const double t0 = now_seconds();
  if (!strcmp(test, "publish") || fill)
    publish_all(&b);
  else if (!strcmp(test, "confirm"))
    confirm_each(&b);
  else if (!strcmp(test, "confirm_batch"))
    confirm_batches(&b);
  else if (!strcmp(test, "consume"))
    consume(&b);
  else if (strcmp(test, "purge"))
    die("unknown --test");
  const double seconds = now_seconds() - t0;
  const double cpu = cpu_seconds() - cpu0;
  if (!strcmp(test, "confirm") || !strcmp(test, "confirm_batch"))
    if (queue_depth(&b) != (uint32_t)b.messages) die("the queue does not hold every confirmed message");
  printf("messages=%ld seconds=%.6f cpu_seconds=%.6f\n", b.messages, seconds, cpu);

  check_reply(amqp_channel_close(b.conn, 1, AMQP_REPLY_SUCCESS), "channel.close");
  check_reply(amqp_connection_close(b.conn, AMQP_REPLY_SUCCESS), "connection.close");
  check_status(amqp_destroy_connection(b.conn), "destroy");
  free(payload);
  return 0;
}
