#pragma once

// MD5 (RFC 1321). Not for security: Prometheus's hashmod relabeling is defined on it.

#include <array>
#include <cstdint>
#include <string_view>

namespace hearth {

std::array<uint8_t, 16> Md5(std::string_view data);

}  // namespace hearth
