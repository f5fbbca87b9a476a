/* A plain blocking C program that knows nothing of fern: N threads, each resolves the server's
 * address, connects, sends a line, waits for the reply and sleeps a little, all with blocking
 * calls. It prints on how many distinct OS threads the clients ran, and how many threads the
 * process had at most while they ran (fern's own helper threads included).
 *
 *   blocking_threads_client PORT N
 *
 * Run normally the clients run on N OS threads. Run under LD_PRELOAD=libfern_hook.so FERN_PATCH=1
 * FERN_GREEN_THREADS=1 every "thread" is a greenlet of the main thread: they run on one. */
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* port;
static int max_threads;
static pthread_mutex_t max_lock = PTHREAD_MUTEX_INITIALIZER;
static long client_tids[4096];
static int client_tid_count;

static void note_tid(void) {
  long tid = (long)syscall(SYS_gettid);
  for (int i = 0; i < client_tid_count; ++i)
    if (client_tids[i] == tid) return;
  if (client_tid_count < 4096) client_tids[client_tid_count++] = tid;
}

static int os_threads(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  int n = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "Threads:", 8) == 0) n = atoi(line + 8);
  if (f) fclose(f);
  return n;
}

static void* client(void* arg) {
  (void)arg;
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo("127.0.0.1", port, &hints, &res) != 0) return (void*)1;
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) return (void*)2;
  freeaddrinfo(res);
  if (write(fd, "hello\n", 6) != 6) return (void*)3;
  int threads = os_threads(); /* measured while this request is outstanding */
  char reply[16];
  size_t got = 0;
  while (got < 6) {
    ssize_t n = read(fd, reply + got, sizeof reply - got);
    if (n <= 0) return (void*)4;
    got += (size_t)n;
  }
  close(fd);
  usleep(1000);
  pthread_mutex_lock(&max_lock);
  if (threads > max_threads) max_threads = threads;
  note_tid();
  pthread_mutex_unlock(&max_lock);
  return memcmp(reply, "hello\n", 6) == 0 ? NULL : (void*)5;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PORT N\n", argv[0]);
    return 2;
  }
  port = argv[1];
  int n = atoi(argv[2]);
  pthread_t* threads = calloc((size_t)n, sizeof *threads);
  for (int i = 0; i < n; ++i)
    if (pthread_create(&threads[i], NULL, client, NULL) != 0) return 3;
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    void* result = (void*)1;
    pthread_join(threads[i], &result);
    if (result == NULL) ++ok;
  }
  free(threads);
  printf("client_threads=%d process_threads=%d ok=%d\n", client_tid_count, max_threads, ok);
  return ok == n ? 0 : 1;
}
