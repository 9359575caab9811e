#include "base/proto_wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hearth::wire {
namespace {

TEST(WireTest, VarintRoundTrip) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{300},
                     uint64_t{1} << 35, ~uint64_t{0}}) {
    std::string buf;
    Writer w(&buf);
    w.RawVarint(v);
    EXPECT_EQ(static_cast<int>(buf.size()), VarintSize(v));
    uint64_t got = 0;
    const uint8_t* p = reinterpret_cast<const uint8_t*>(buf.data());
    EXPECT_EQ(ReadVarint(p, p + buf.size(), &got), p + buf.size());
    EXPECT_EQ(got, v);
  }
}

TEST(WireTest, OverlongVarintIsRejected) {
  std::string buf(11, '\xff');
  uint64_t got;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(buf.data());
  EXPECT_EQ(ReadVarint(p, p + buf.size(), &got), nullptr);
}

TEST(WireTest, TruncatedVarintIsRejected) {
  std::string buf = "\x80\x80";
  Reader r(buf);
  uint32_t f;
  WireType t;
  EXPECT_FALSE(r.Next(&f, &t));
  EXPECT_FALSE(r.ok());
  EXPECT_STREQ(r.error(), "truncated or overlong tag varint");
}

TEST(WireTest, MessagesNestAndSkip) {
  std::string buf;
  Writer w(&buf);
  w.Varint(1, 42);
  size_t at = w.BeginMessage(2);
  w.Bytes(1, "inner");
  w.Fixed64(7, 99);
  w.EndMessage(at);
  std::vector<int> packed = {1, 200, 3};
  w.PackedVarints(3, packed.begin(), packed.end());

  Reader r(buf);
  uint32_t field;
  WireType type;
  ASSERT_TRUE(r.Next(&field, &type));
  EXPECT_EQ(field, 1u);
  EXPECT_EQ(r.Varint(), 42u);
  ASSERT_TRUE(r.Next(&field, &type));
  EXPECT_EQ(field, 2u);
  Reader inner(r.Bytes());
  ASSERT_TRUE(inner.Next(&field, &type));
  EXPECT_EQ(inner.Bytes(), "inner");
  ASSERT_TRUE(inner.Next(&field, &type));
  EXPECT_EQ(type, kFixed64);
  EXPECT_TRUE(inner.Skip(type));
  EXPECT_FALSE(inner.Next(&field, &type));
  EXPECT_TRUE(inner.ok());
  ASSERT_TRUE(r.Next(&field, &type));
  Reader p(r.Bytes());
  EXPECT_EQ(p.Varint(), 1u);
  EXPECT_EQ(p.Varint(), 200u);
  EXPECT_EQ(p.Varint(), 3u);
  EXPECT_EQ(p.remaining(), 0u);
  EXPECT_TRUE(r.ok());
}

TEST(WireTest, LengthPastEndIsRejected) {
  std::string buf =
      "\x12\x10"
      "abc";  // field 2, len 16, only 3 bytes follow.
  Reader r(buf);
  uint32_t f;
  WireType t;
  ASSERT_TRUE(r.Next(&f, &t));
  EXPECT_TRUE(r.Bytes().empty());
  EXPECT_STREQ(r.error(), "length-delimited field runs past the end of its message");
}

TEST(WireTest, GroupsAreRejected) {
  std::string buf = "\x0b";  // field 1, start group.
  Reader r(buf);
  uint32_t f;
  WireType t;
  ASSERT_TRUE(r.Next(&f, &t));
  EXPECT_FALSE(r.Skip(t));
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace hearth::wire
