// libcurl's blocking easy API, unmodified, from many greenlets of one thread. curl makes its
// sockets non-blocking itself and waits in poll(); the hook turns that poll into a park.
#include <curl/curl.h>

#include <atomic>
#include <string>

#include "proof.hpp"
#include "slow_server.hpp"

namespace {

using namespace std::chrono_literals;

size_t collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One blocking GET; returns the body.
std::string get(int port) {
  CURL* curl = curl_easy_init();
  std::string body;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  CURLcode rc = curl_easy_perform(curl);
  EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  curl_easy_cleanup(curl);
  return body;
}

class CurlUnderHook : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fern::monkey::patch_all();
    curl_global_init(CURL_GLOBAL_DEFAULT);
  }
  static void TearDownTestSuite() { curl_global_cleanup(); }
};

TEST_F(CurlUnderHook, AllRequestsOfManyGreenletsAreInFlightAtOnce) {
  constexpr int kClients = 20;
  fern_test::SlowServer server({.protocol = fern_test::SlowServer::Protocol::http, .barrier = kClients});
  std::atomic<int> ok{0};
  fern_test::run_greenlets(kClients, [&](int) {
    if (get(server.port()) == "hello") ++ok;
  });
  EXPECT_EQ(server.peak_outstanding(), kClients)
      << "the server must have seen every request outstanding at once";
  EXPECT_EQ(ok.load(), kClients);
}

TEST_F(CurlUnderHook, ManyClientsTakeAboutTheTimeOfOne) {
  constexpr int kClients = 50;
  fern_test::SlowServer server({.protocol = fern_test::SlowServer::Protocol::http, .delay = 300ms});
  auto one = fern_test::run_greenlets(1, [&](int) { EXPECT_EQ(get(server.port()), "hello"); });
  auto all = fern_test::run_greenlets(kClients, [&](int) { EXPECT_EQ(get(server.port()), "hello"); });
  fern_test::report_timing("curl_easy_300ms", kClients, one, all);
  EXPECT_GE(one, 300ms);
  EXPECT_LT(all, one * kClients / 2);
}

}  // namespace
