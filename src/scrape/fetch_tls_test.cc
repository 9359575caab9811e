// Fetching from https targets over real TLS (OpenSSL on both ends): a private CA made with
// the openssl command for this test, a target that serves with a certificate from it, one
// that also asks for a client certificate (mutual TLS), and the ways trust can fail.

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "base/fmt.h"
#include "scrape/fetch.h"

namespace hearth::scrape {
namespace {

namespace fs = std::filesystem;

// One https server on a free loopback port, serving /debug/pprof/heap.
class TlsTarget {
 public:
  // `client_ca`: when set, the server asks for a client certificate signed by it.
  TlsTarget(const std::string& cert, const std::string& key, const std::string& client_ca = "")
      : server_(client_ca.empty()
                    ? std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str())
                    : std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str(),
                                                           client_ca.c_str())) {
    server_->Get("/debug/pprof/heap", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("heap profile bytes", "application/octet-stream");
    });
    EXPECT_TRUE(server_->is_valid()) << "the test's certificate did not load";
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TlsTarget() {
    server_->stop();
    thread_.join();
  }
  std::string address() const { return fmt::format("127.0.0.1:{}", port_); }

 private:
  std::unique_ptr<httplib::SSLServer> server_;
  int port_ = 0;
  std::thread thread_;
};

class FetchTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(fs::temp_directory_path() / fmt::format("hearth-tls-{}", getpid()));
    fs::create_directories(*dir_);
    // A CA, an unrelated CA, and from the first: a certificate for 127.0.0.1, one for
    // another name only, and a client certificate.
    const std::string script = fmt::format(R"(set -e
cd {}
mk_ca() {{ openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" -keyout $1.key -out $1.pem; }}
mk_cert() {{  # name, subjectAltName, signing CA
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout $1.key -out $1.csr
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$2" > $1.ext
  openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial -days 2 -extfile $1.ext -out $1.pem
}}
mk_ca ca
mk_ca other_ca
mk_cert server IP:127.0.0.1 ca
mk_cert elsewhere DNS:elsewhere.example ca
mk_cert client DNS:scraper ca
)",
                                           *dir_);
    const std::string sh = *dir_ + "/make.sh";
    std::FILE* f = std::fopen(sh.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(script.c_str(), f);
    std::fclose(f);
    ASSERT_EQ(std::system(fmt::format("sh {} > {}/openssl.log 2>&1", sh, *dir_).c_str()), 0)
        << "openssl failed; see " << *dir_ << "/openssl.log";
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  static std::string File(const std::string& name) { return *dir_ + "/" + name; }

  static TlsOptions Tls(const std::string& ca, const std::string& cert = "",
                        const std::string& key = "", bool insecure = false) {
    TlsOptions o;
    o.ca_file = ca.empty() ? "" : File(ca);
    o.cert_file = cert.empty() ? "" : File(cert);
    o.key_file = key.empty() ? "" : File(key);
    o.insecure_skip_verify = insecure;
    return o;
  }

  static absl::StatusOr<std::string> Get(const TlsTarget& t, const TlsOptions& tls) {
    FetchRequest r;
    r.scheme = "https";
    r.address = t.address();
    r.path_and_query = "/debug/pprof/heap";
    r.timeout_ns = 5'000'000'000;
    r.tls = tls;
    return Fetch(r);
  }

  static std::string* dir_;
};

std::string* FetchTlsTest::dir_ = nullptr;

TEST_F(FetchTlsTest, TrustsTheConfiguredCa) {
  TlsTarget t(File("server.pem"), File("server.key"));
  auto body = Get(t, Tls("ca.pem"));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "heap profile bytes");
}

TEST_F(FetchTlsTest, RefusesCertificatesItCannotTrust) {
  TlsTarget t(File("server.pem"), File("server.key"));
  const std::string want =
      "TLS: the target's certificate is not trusted or not for this address "
      "(tls_config.ca_file, or insecure_skip_verify)";
  // The system's CAs do not know the test's CA; nor does an unrelated one.
  EXPECT_EQ(Get(t, Tls("")).status().message(), want);
  EXPECT_EQ(Get(t, Tls("other_ca.pem")).status().message(), want);
  // Trusted CA, but the certificate names another host.
  TlsTarget elsewhere(File("elsewhere.pem"), File("elsewhere.key"));
  EXPECT_EQ(Get(elsewhere, Tls("ca.pem")).status().message(), want);
  // Unless told not to check.
  auto body = Get(elsewhere, Tls("", "", "", true));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "heap profile bytes");
}

TEST_F(FetchTlsTest, SendsAClientCertificateWhenAsked) {
  TlsTarget t(File("server.pem"), File("server.key"), File("ca.pem"));
  auto body = Get(t, Tls("ca.pem", "client.pem", "client.key"));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "heap profile bytes");
  // Without one the target refuses the connection.
  // (TLS 1.3: after the handshake, so the client sees it while writing or reading.)
  const std::string hint =
      " (a target that asks for a client certificate needs tls_config.cert_file and key_file)";
  const std::string refused(Get(t, Tls("ca.pem")).status().message());
  EXPECT_TRUE(refused == "connection closed before a complete answer" + hint ||
              refused == "connection closed while sending the request" + hint)
      << refused;
  // A certificate from a CA the target does not trust is refused the same way.
  auto other = Get(t, Tls("ca.pem", "other_ca.pem", "other_ca.key"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnavailable) << other.status();
}

TEST_F(FetchTlsTest, SaysWhichFilesItCannotLoad) {
  TlsTarget t(File("server.pem"), File("server.key"));
  // A key that does not belong to the certificate.
  EXPECT_EQ(Get(t, Tls("ca.pem", "client.pem", "server.key"))
                .status()
                .message(),
            fmt::format("TLS: cannot load the client certificate {} with key {}",
                        File("client.pem"), File("server.key")));
  // A CA file that is not PEM.
  EXPECT_EQ(Get(t, Tls("make.sh")).status().message(),
            fmt::format("TLS: cannot load the CA certificates from {}", File("make.sh")));
}

}  // namespace
}  // namespace hearth::scrape
