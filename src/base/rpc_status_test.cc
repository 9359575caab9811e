#include "base/rpc_status.h"

#include <string>

#include "gtest/gtest.h"

namespace hearth {
namespace {

using std::string_literals::operator""s;

TEST(RpcStatusTest, RetryDelayTravelsInTheStatus) {
  absl::Status s = WithRetryDelay(absl::ResourceExhaustedError("slow down"), 1'500'000'000);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelay(s), 1'500'000'000);
  EXPECT_EQ(RetryAfterSeconds(s), 2);  // rounded up
  EXPECT_EQ(RetryDelay(absl::ResourceExhaustedError("x")), std::nullopt);
  EXPECT_EQ(RetryAfterSeconds(absl::ResourceExhaustedError("x")), 0);
  EXPECT_EQ(RetryAfterSeconds(WithRetryDelay(absl::UnavailableError("x"), 0)), 1);
  EXPECT_EQ(RetryDelay(WithRetryDelay(absl::UnavailableError("x"), -5)), 0);
}

TEST(RpcStatusTest, EncodesGoogleRpcStatusWithRetryInfo) {
  const absl::Status s = WithRetryDelay(absl::ResourceExhaustedError("rate"), 3'000'000'000);
  // code 8, message "rate", details[0] = Any{type_url, RetryInfo{retry_delay{seconds: 3}}}.
  const std::string url(kRetryInfoTypeUrl);
  const std::string retry_info = "\x0a\x02\x08\x03"s;
  std::string any = "\x0a"s + static_cast<char>(url.size()) + url + "\x12"s +
                    static_cast<char>(retry_info.size()) + retry_info;
  const std::string want = "\x08\x08\x12\x04rate\x1a"s + static_cast<char>(any.size()) + any;
  EXPECT_EQ(EncodeRpcStatus(s), want);
  EXPECT_EQ(EncodeRpcStatus(absl::InvalidArgumentError("bad")), "\x08\x03\x12\x03" "bad"s);

  std::optional<absl::Status> back = DecodeRpcStatus(want);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(back->message(), "rate");
  EXPECT_EQ(RetryDelay(*back), 3'000'000'000);
}

TEST(RpcStatusTest, EncodesJson) {
  EXPECT_EQ(EncodeRpcStatusJson(WithRetryDelay(absl::UnavailableError("busy"), 1'250'000'000)),
            R"({"code":14,"message":"busy","details":[{"@type":)"
            R"("type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.25s"}]})");
  EXPECT_EQ(EncodeRpcStatusJson(WithRetryDelay(absl::UnavailableError("busy"), 2'000'000'000)),
            R"({"code":14,"message":"busy","details":[{"@type":)"
            R"("type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]})");
  EXPECT_EQ(EncodeRpcStatusJson(absl::InvalidArgumentError("bad \"x\"")),
            R"({"code":3,"message":"bad \"x\""})");
}

TEST(RpcStatusTest, DecodeRejectsWhatIsNotAStatus) {
  EXPECT_EQ(DecodeRpcStatus("\x08"s), std::nullopt);        // truncated varint
  EXPECT_EQ(DecodeRpcStatus("\x08\x63"s), std::nullopt);    // code 99
  EXPECT_EQ(DecodeRpcStatus("\x12\x05" "ab"s), std::nullopt);  // length past the end
  // Unknown details and fields are skipped.
  std::optional<absl::Status> s =
      DecodeRpcStatus("\x08\x0e\x1a\x07\x0a\x01x\x12\x02\x08\x01\x28\x01"s);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RetryDelay(*s), std::nullopt);
  // A RetryInfo with a negative delay is ignored rather than trusted.
  const std::string url(kRetryInfoTypeUrl);
  const std::string neg = "\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s;
  std::string any = "\x0a"s + static_cast<char>(url.size()) + url + "\x12"s +
                    static_cast<char>(neg.size()) + neg;
  s = DecodeRpcStatus("\x08\x08\x1a"s + static_cast<char>(any.size()) + any);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(RetryDelay(*s), std::nullopt);
}

}  // namespace
}  // namespace hearth
