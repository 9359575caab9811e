#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace hearth::crc32c {
namespace {

// Bit-at-a-time reference straight from the definition, to check the fast paths against.
uint32_t Reference(std::string_view s) {
  uint32_t c = 0xFFFFFFFF;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78 : c >> 1;
  }
  return ~c;
}

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

using ExtendFn = uint32_t (*)(uint32_t, const void*, size_t);

class Crc32cTest : public ::testing::TestWithParam<ExtendFn> {
 protected:
  uint32_t Crc(std::string_view s) { return GetParam()(0, s.data(), s.size()); }
};

// RFC 3720 (iSCSI), appendix B.4.
TEST_P(Crc32cTest, Rfc3720Vectors) {
  EXPECT_EQ(Crc(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string inc, dec;
  for (int i = 0; i < 32; ++i) {
    inc.push_back(static_cast<char>(i));
    dec.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc(inc), 0x46DD794Eu);
  EXPECT_EQ(Crc(dec), 0x113FDB5Cu);
  // An iSCSI SCSI Read (10) command PDU.
  std::string pdu = Bytes({0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                           0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(Crc(pdu), 0xD9963A56u);
  EXPECT_EQ(Crc("123456789"), 0xE3069283u);  // The catalogue check value.
  EXPECT_EQ(Crc(""), 0u);
}

TEST_P(Crc32cTest, MatchesReferenceAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(7);
  std::string buf(300, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t start = 0; start < 8; ++start) {
    for (size_t len = 0; start + len <= buf.size(); len += (len < 40 ? 1 : 37)) {
      std::string_view s(buf.data() + start, len);
      ASSERT_EQ(Crc(s), Reference(s)) << "start " << start << " len " << len;
    }
  }
}

TEST_P(Crc32cTest, ExtendEqualsWholeValue) {
  std::string s = "hello, durable world: the quick brown fox";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = GetParam()(0, s.data(), cut);
    ASSERT_EQ(GetParam()(a, s.data() + cut, s.size() - cut), Reference(s)) << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, Crc32cTest,
                         ::testing::Values(&internal::ExtendPortable, &internal::ExtendHardware,
                                           static_cast<ExtendFn>(&Extend)),
                         [](const auto& info) {
                           return std::string(info.index == 0   ? "Portable"
                                              : info.index == 1 ? "Hardware"
                                                                : "Dispatch");
                         });

TEST(Crc32cCombine, EqualsCrcOfConcatenation) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200; ++i) {
    std::string a(rng() % 100, '\0'), b(rng() % 5000, '\0');
    for (char& c : a) c = static_cast<char>(rng());
    for (char& c : b) c = static_cast<char>(rng());
    ASSERT_EQ(Combine(Value(a), Value(b), b.size()), Value(a + b));
  }
}

TEST(Crc32cCombine, SliceFromTwoPrefixes) {
  std::string s(1000, '\0');
  std::mt19937_64 rng(3);
  for (char& c : s) c = static_cast<char>(rng());
  for (size_t i : {0, 1, 63, 500}) {
    for (size_t j : {size_t{500}, size_t{777}, s.size()}) {
      if (j < i) continue;
      uint32_t slice = Value(std::string_view(s).substr(0, j)) ^
                       Combine(Value(std::string_view(s).substr(0, i)), 0, j - i);
      EXPECT_EQ(slice, Value(std::string_view(s).substr(i, j - i))) << i << ".." << j;
    }
  }
}

}  // namespace
}  // namespace hearth::crc32c
