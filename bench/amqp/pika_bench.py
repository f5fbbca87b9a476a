"""bench/amqp peer: pika 1.2 BlockingConnection, the usual Python client, written as its documentation
recommends.

    pika_bench.py --port P --test publish|confirm|consume --size BYTES --messages N [--queue NAME]

One connection, one channel, persistent messages (delivery_mode 2) to the default exchange with the
routing key of a durable queue:
  publish   basic_publish N times without confirms; the run ends when the queue holds all N
            (passive queue_declare, repeated every millisecond until its message count is N);
  confirm   confirm_delivery(), then basic_publish N times: in that mode each call waits for the
            broker's basic.ack (pika's only way to know a message was taken);
  consume   basic_qos(prefetch_count=100), basic_consume with an on_message callback that acks
            each message, start_consuming until N were taken (the queue must already hold N).
Prints `messages=N seconds=S cpu_seconds=C` for the timed part (process CPU from os.times())."""
import argparse
import os
import sys
import time

import pika


def cpu_seconds():
    t = os.times()
    return t.user + t.system


def depth(channel, queue):
    return channel.queue_declare(queue=queue, passive=True).method.message_count


def wait_until_queued(channel, queue, n):
    # A passive queue_declare follows every earlier publish on the channel, but the queue process may
    # still be taking them in: ask again every millisecond (for at most a minute) until it holds n.
    for _ in range(60000):
        d = depth(channel, queue)
        if d == n:
            return
        if d > n:
            sys.exit("pika_bench: the queue holds more messages than were published")
        time.sleep(0.001)
    sys.exit("pika_bench: the queue never held every published message")


def publish(channel, queue, body, n, properties):
    for _ in range(n):
        channel.basic_publish(exchange="", routing_key=queue, body=body, properties=properties)
    wait_until_queued(channel, queue, n)


def confirm(channel, queue, body, n, properties):
    channel.confirm_delivery()
    for _ in range(n):
        # Raises UnroutableError / NackError when the broker does not take the message.
        channel.basic_publish(exchange="", routing_key=queue, body=body, properties=properties)


def consume(channel, queue, size, n):
    channel.basic_qos(prefetch_count=100)
    taken = [0]

    def on_message(ch, method, _properties, body):
        if len(body) != size:
            sys.exit("pika_bench: delivery of the wrong size")
        ch.basic_ack(delivery_tag=method.delivery_tag)
        taken[0] += 1
        if taken[0] == n:
            ch.stop_consuming()

    channel.basic_consume(queue=queue, on_message_callback=on_message)
    channel.start_consuming()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=5672)
    p.add_argument("--test", default="publish", choices=["publish", "confirm", "consume"])
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--messages", type=int, default=10000)
    p.add_argument("--queue", default="fern.bench")
    a = p.parse_args()

    params = pika.ConnectionParameters(host="127.0.0.1", port=a.port, frame_max=131072, heartbeat=0)
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    channel.queue_declare(queue=a.queue, durable=True)
    if a.test != "consume":
        channel.queue_purge(queue=a.queue)
    body = b"x" * a.size
    properties = pika.BasicProperties(delivery_mode=2)

    cpu0, t0 = cpu_seconds(), time.monotonic()
    if a.test == "publish":
        publish(channel, a.queue, body, a.messages, properties)
    elif a.test == "confirm":
        confirm(channel, a.queue, body, a.messages, properties)
    else:
        consume(channel, a.queue, a.size, a.messages)
    seconds, cpu = time.monotonic() - t0, cpu_seconds() - cpu0
    if a.test == "confirm" and depth(channel, a.queue) != a.messages:
        sys.exit("pika_bench: the queue does not hold every confirmed message")
    print("messages=%d seconds=%.6f cpu_seconds=%.6f" % (a.messages, seconds, cpu))
    connection.close()


if __name__ == "__main__":
    main()
