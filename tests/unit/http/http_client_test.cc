// HttpClient against a real local server, plain and TLS (certificates made in the test).

#include "http/http_client.h"

#include <gtest/gtest.h>

#include "../identity/test_http_server.h"
#include "http/tls.h"

namespace portcullis::http {
namespace {

using testing::run_coroutine;
using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;

std::shared_ptr<ssl::context> server_tls(const CertificatePem& cert) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->use_certificate_chain(asio::buffer(cert.cert_pem));
  context->use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
  return context;
}

TestResponse echo(const TestRequest& request) {
  TestResponse response;
  response.content_type = "text/plain";
  response.body =
      request.method + " " + request.target + " " + request.body +
      " ct=" + (request.headers.count("content-type") ? request.headers.at("content-type") : "") +
      " auth=" +
      (request.headers.count("authorization") ? request.headers.at("authorization") : "");
  return response;
}

TEST(HttpClient, PlainGetAndPost) {
  TestHttpServer server(echo);
  HttpClient client;
  auto get = run_coroutine(client.send({"GET", server.url() + "/a/b?x=1", {}, ""}));
  ASSERT_TRUE(get.ok()) << get.detail;
  EXPECT_EQ(get.response.status, 200);
  EXPECT_EQ(get.response.body.substr(0, 12), "GET /a/b?x=1");
  EXPECT_EQ(get.response.header("content-type"), "text/plain");

  HttpClientRequest post;
  post.method = "POST";
  post.url = server.url() + "/token";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Authorization", "Basic abc"}};
  post.body = form_encode({{"grant_type", "authorization_code"}, {"code", "a b+c/&"}});
  auto result = run_coroutine(client.send(post));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.response.body,
            "POST /token grant_type=authorization_code&code=a+b%2Bc%2F%26 "
            "ct=application/x-www-form-urlencoded auth=Basic abc");
}

TEST(HttpClient, NonSuccessStatusIsAResponseNotAnError) {
  TestHttpServer server([](const TestRequest&) { return TestResponse{404, "text/plain", "no"}; });
  HttpClient client;
  auto result = run_coroutine(client.send({"GET", server.url() + "/", {}, ""}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.response.status, 404);
}

TEST(HttpClient, RedirectsAreNotFollowed) {
  TestHttpServer server([](const TestRequest&) { return TestResponse{302, "text/plain", ""}; });
  HttpClient client;
  auto result = run_coroutine(client.send({"GET", server.url() + "/", {}, ""}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.response.status, 302);
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, TlsWithExtraCa) {
  auto cert = generate_self_signed_certificate("localhost");
  TestHttpServer server(echo, server_tls(cert));
  HttpClientOptions options;
  options.extra_ca_pem = cert.cert_pem;
  HttpClient client(options);
  auto result = run_coroutine(client.send({"GET", server.url("localhost") + "/x", {}, ""}));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(result.response.body.substr(0, 6), "GET /x");
}

TEST(HttpClient, TlsUntrustedCertificateFails) {
  auto cert = generate_self_signed_certificate("localhost");
  TestHttpServer server(echo, server_tls(cert));
  HttpClient client;  // system CAs only
  auto result = run_coroutine(client.send({"GET", server.url("localhost") + "/", {}, ""}));
  EXPECT_EQ(result.error, HttpClientError::kTls);
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpClient, TlsWrongHostNameFails) {
  auto cert = generate_self_signed_certificate("other.test");
  TestHttpServer server(echo, server_tls(cert));
  HttpClientOptions options;
  options.extra_ca_pem = cert.cert_pem;
  HttpClient client(options);
  auto result = run_coroutine(client.send({"GET", server.url("localhost") + "/", {}, ""}));
  EXPECT_EQ(result.error, HttpClientError::kTls);
}

TEST(HttpClient, BodyLimit) {
  TestHttpServer server([](const TestRequest&) {
    return TestResponse{200, "text/plain", std::string(5000, 'x')};
  });
  HttpClientOptions options;
  options.max_response_body = 4096;
  HttpClient client(options);
  auto result = run_coroutine(client.send({"GET", server.url() + "/", {}, ""}));
  EXPECT_EQ(result.error, HttpClientError::kTooLarge);
}

TEST(HttpClient, Timeout) {
  TestResponse hang;
  hang.hang = true;
  TestHttpServer server([hang](const TestRequest&) { return hang; });
  HttpClientOptions options;
  options.timeout = std::chrono::milliseconds(300);
  HttpClient client(options);
  auto started = std::chrono::steady_clock::now();
  auto result = run_coroutine(client.send({"GET", server.url() + "/", {}, ""}));
  EXPECT_EQ(result.error, HttpClientError::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(HttpClient, BadUrlsAndRefusedConnections) {
  HttpClient client;
  for (const char* url : {"", "/relative", "ftp://x/", "https://user@host/", "http:///nohost"}) {
    EXPECT_EQ(run_coroutine(client.send({"GET", url, {}, ""})).error, HttpClientError::kBadUrl)
        << url;
  }
  std::uint16_t closed_port = 0;
  {
    TestHttpServer server(echo);
    closed_port = server.port();
  }
  auto result = run_coroutine(
      client.send({"GET", "http://127.0.0.1:" + std::to_string(closed_port) + "/", {}, ""}));
  EXPECT_EQ(result.error, HttpClientError::kConnect);
}

TEST(HttpClient, BadExtraCaThrows) {
  HttpClientOptions options;
  options.extra_ca_pem = "not a certificate";
  EXPECT_THROW(HttpClient client(options), std::runtime_error);
}

}  // namespace
}  // namespace portcullis::http
