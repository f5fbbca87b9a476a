// The LD_PRELOAD form: an unmodified, plain blocking C program (blocking_threads_client.c) with
// one thread per connection. Under libfern_hook.so with FERN_PATCH=1 FERN_GREEN_THREADS=1 all its
// threads are greenlets of one OS thread, yet the server sees every request outstanding at once.
// The library and the program are built without sanitizers even in the sanitizer build (a program
// must be ASan-built to preload an ASan-built library), so this runs in every build.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <string>

#include "slow_server.hpp"

namespace {

struct ProgramRun {
  int status = -1;
  std::string output;
};

ProgramRun run(const std::string& command) {
  ProgramRun r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe)) r.output += buf;
  r.status = pclose(pipe);
  return r;
}

int value_of(const std::string& output, const std::string& key) {
  auto at = output.find(key + "=");
  return at == std::string::npos ? -1 : std::stoi(output.substr(at + key.size() + 1));
}

constexpr int kClients = 20;

std::string client_command(int port) {
  return std::string(FERN_TEST_BLOCKING_CLIENT) + " " + std::to_string(port) + " " + std::to_string(kClients);
}

TEST(Preload, PlainBlockingProgramRunsItsThreadsAsGreenletsOfOneThread) {
  fern_test::SlowServer server({.barrier = kClients});
  ProgramRun r = run("env LD_PRELOAD=" FERN_TEST_HOOK_LIBRARY " FERN_PATCH=1 FERN_GREEN_THREADS=1 " +
                     client_command(server.port()));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(value_of(r.output, "ok"), kClients) << r.output;
  EXPECT_EQ(value_of(r.output, "client_threads"), 1) << "every pthread became a greenlet: " << r.output;
  EXPECT_EQ(server.peak_outstanding(), kClients) << "all requests were in flight at once";
}

TEST(Preload, WithoutTheHookTheSameProgramUsesOneThreadPerConnection) {
  fern_test::SlowServer server({.barrier = kClients});
  ProgramRun r = run(client_command(server.port()));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(value_of(r.output, "client_threads"), kClients) << r.output;
  EXPECT_GT(value_of(r.output, "process_threads"), kClients) << r.output;
  EXPECT_EQ(server.peak_outstanding(), kClients);
}

TEST(Preload, WithoutFernPatchThePreloadedLibraryChangesNothing) {
  fern_test::SlowServer server({.barrier = kClients});
  ProgramRun r = run("env LD_PRELOAD=" FERN_TEST_HOOK_LIBRARY " " + client_command(server.port()));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(value_of(r.output, "client_threads"), kClients) << r.output;
}

}  // namespace
