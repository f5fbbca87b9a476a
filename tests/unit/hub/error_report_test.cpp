#include "fern/hub/error_report.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "fern/hub/hub.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

// Installs a handler that records every report for the test's life.
struct Recorded {
  std::vector<ErrorReport> reports;
  ErrorHandler previous;
  Recorded() {
    previous = Hub::current().set_error_handler([this](const ErrorReport& r) { reports.push_back(r); });
  }
  ~Recorded() { Hub::current().set_error_handler(std::move(previous)); }
};

TEST(ErrorReport, AnUncaughtGreenletFailureGoesToTheHandlerWithItsIdentity) {
  Recorded rec;
  auto g = spawn_with({.name = "doomed"}, [] { throw std::runtime_error("boom"); });
  g->join();
  ASSERT_EQ(rec.reports.size(), 1u);
  const ErrorReport& r = rec.reports[0];
  EXPECT_EQ(r.source, ErrorReport::Source::greenlet);
  EXPECT_EQ(r.greenlet_id, g->id());
  EXPECT_EQ(r.greenlet_name, "doomed");
  EXPECT_EQ(r.describe(), "fern: greenlet 'doomed' (#" + std::to_string(g->id()) + ") failed: boom");
  EXPECT_THROW(g.get(), std::runtime_error);  // the greenlet keeps its exception too
}

TEST(ErrorReport, AnUnnamedGreenletIsNamedByItsNumberNotItsAddress) {
  Recorded rec;
  auto g = spawn([] { throw std::runtime_error("x"); });
  g->join();
  ASSERT_EQ(rec.reports.size(), 1u);
  EXPECT_EQ(rec.reports[0].greenlet_name, "Greenlet-" + std::to_string(g->id()));
}

TEST(ErrorReport, AKillIsNotAFailure) {
  Recorded rec;
  auto g = spawn([] { sleep(1h); });
  sleep(1ms);
  g->kill();
  EXPECT_TRUE(rec.reports.empty());
}

TEST(ErrorReport, AThrowingLinkCallbackIsReportedWithItsGreenlet) {
  Recorded rec;
  auto g = spawn_with({.name = "linked"}, [] { return 1; });
  g->link([](GreenletRef<>) { throw std::logic_error("bad link"); });
  g->join();
  sleep(1ms);  // links run on the hub after the greenlet finishes
  ASSERT_EQ(rec.reports.size(), 1u);
  EXPECT_EQ(rec.reports[0].source, ErrorReport::Source::link_callback);
  EXPECT_EQ(rec.reports[0].greenlet_id, g->id());
  EXPECT_NE(rec.reports[0].describe().find("bad link"), std::string::npos);
}

TEST(ErrorReport, HubAndThreadSafeCallbacksAreReported) {
  Recorded rec;
  Hub::current().call_soon([] { throw std::runtime_error("soon"); });
  Hub::current().run_callback_threadsafe([] { throw std::runtime_error("remote"); });
  sleep(1ms);
  sleep(1ms);
  ASSERT_EQ(rec.reports.size(), 2u);
  std::string both = rec.reports[0].describe() + "\n" + rec.reports[1].describe();
  EXPECT_NE(both.find("uncaught exception in a hub callback: soon"), std::string::npos) << both;
  EXPECT_NE(both.find("uncaught exception in a thread-safe callback: remote"), std::string::npos) << both;
}

TEST(ErrorReport, AThrowingHandlerFallsBackToPrintingAndLosesNothing) {
  auto previous = Hub::current().set_error_handler([](const ErrorReport&) { throw std::runtime_error("h"); });
  testing::internal::CaptureStderr();
  spawn_with({.name = "twice"}, [] { throw std::runtime_error("lost?"); })->join();
  std::string err = testing::internal::GetCapturedStderr();
  Hub::current().set_error_handler(std::move(previous));
  EXPECT_NE(err.find("greenlet 'twice'"), std::string::npos) << err;
  EXPECT_NE(err.find("lost?"), std::string::npos) << err;
  EXPECT_NE(err.find("error handler threw"), std::string::npos) << err;
}

TEST(ErrorReport, TheDefaultHandlerPrints) {
  testing::internal::CaptureStderr();
  spawn_with({.name = "printed"}, [] { throw std::runtime_error("to stderr"); })->join();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("fern: greenlet 'printed' (#"), std::string::npos) << err;
  EXPECT_NE(err.find("to stderr"), std::string::npos) << err;
}

}  // namespace
}  // namespace fern
