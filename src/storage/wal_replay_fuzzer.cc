// libFuzzer target for WAL replay: the input is the content of one segment file. Beyond "no
// crash, no sanitizer report", every input must satisfy:
//   1. accounting: each byte is in exactly one of a record (header + payload), a damage
//      region or the torn tail; damage regions are non-empty, ordered, disjoint, in bounds;
//   2. as an old segment (an empty newer one follows) the records are the same, and the torn
//      tail becomes exactly one damage region instead;
//   3. after Wal::Open (which cuts the torn tail) replay gives the same records and damage
//      regions, and no torn tail;
//   4. the replayed records, appended to a fresh log, replay identically with no damage.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "base/fault_env.h"
#include "storage/wal.h"

namespace {

using hearth::FaultInjectionEnv;
using hearth::storage::Wal;
using hearth::storage::WalDamage;
using hearth::storage::WalOptions;
using hearth::storage::WalReplayReport;

constexpr char kDir[] = "/w";

struct Result {
  std::vector<std::pair<uint8_t, std::string>> records;
  WalReplayReport report;
};

// Aborts naming the property that failed, so a crash artifact explains itself.
#define CHECK_PROPERTY(cond)                                               \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "wal_replay_fuzzer:%d: %s\n", __LINE__, #cond); \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

Result ReplayOrDie(FaultInjectionEnv& env, const WalOptions& options) {
  Result r;
  auto report = Wal::Replay(&env, kDir, options, [&](uint8_t type, std::string_view payload) {
    r.records.emplace_back(type, std::string(payload));
    return absl::OkStatus();
  });
  CHECK_PROPERTY(report.ok());
  r.report = *std::move(report);
  return r;
}

void WriteSegment(FaultInjectionEnv& env, const std::string& name, std::string_view data) {
  auto f = env.NewWritableFile(std::string(kDir) + "/" + name);
  CHECK_PROPERTY(f.ok());
  CHECK_PROPERTY((*f)->Append(data).ok());
  CHECK_PROPERTY((*f)->Sync().ok());
}

// Same regions; with_reasons also compares why. (A region's reason may legitimately change
// when the file gets shorter: "checksum mismatch" can become "runs past the end".)
bool SameDamage(const std::vector<WalDamage>& a, const std::vector<WalDamage>& b,
                bool with_reasons = true) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].segment != b[i].segment || a[i].offset != b[i].offset || a[i].bytes != b[i].bytes ||
        (with_reasons && a[i].reason != b[i].reason)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  WalOptions options;
  options.max_record_bytes = 1 << 16;  // Keeps each run small.

  // Newest segment.
  FaultInjectionEnv env;
  CHECK_PROPERTY(env.CreateDirs(kDir).ok());
  WriteSegment(env, "00000001.wal", input);
  const Result newest = ReplayOrDie(env, options);

  // 1. Accounting.
  uint64_t covered =
      newest.report.records * 9 + newest.report.bytes + newest.report.torn_tail_bytes;
  uint64_t prev_end = 0;
  for (const WalDamage& d : newest.report.damage) {
    CHECK_PROPERTY(d.segment == "00000001.wal" && d.bytes > 0 && d.offset >= prev_end &&
                   !d.reason.empty());
    prev_end = d.offset + d.bytes;
    covered += d.bytes;
  }
  CHECK_PROPERTY(prev_end <= size - newest.report.torn_tail_bytes);
  CHECK_PROPERTY(covered == size);
  CHECK_PROPERTY(newest.report.records == newest.records.size());
  for (const auto& [type, payload] : newest.records) CHECK_PROPERTY(type != 0);

  // 2. The same bytes as an old segment.
  {
    FaultInjectionEnv old_env;
    CHECK_PROPERTY(old_env.CreateDirs(kDir).ok());
    WriteSegment(old_env, "00000001.wal", input);
    WriteSegment(old_env, "00000002.wal", "");
    Result old = ReplayOrDie(old_env, options);
    CHECK_PROPERTY(old.records == newest.records);
    CHECK_PROPERTY(old.report.torn_tail_bytes == 0);
    std::vector<WalDamage> want = newest.report.damage;
    if (newest.report.torn_tail_bytes > 0) {
      CHECK_PROPERTY(old.report.damage.size() == want.size() + 1);
      const WalDamage& tail = old.report.damage.back();
      CHECK_PROPERTY(tail.offset == size - newest.report.torn_tail_bytes &&
                     tail.bytes == newest.report.torn_tail_bytes);
      want.push_back(tail);
    }
    CHECK_PROPERTY(SameDamage(old.report.damage, want));
  }

  // 3. Open cuts the torn tail and nothing else.
  {
    auto wal = Wal::Open(&env, kDir, options);
    CHECK_PROPERTY(wal.ok());
    Result reopened = ReplayOrDie(env, options);
    CHECK_PROPERTY(reopened.records == newest.records);
    CHECK_PROPERTY(reopened.report.torn_tail_bytes == 0);
    CHECK_PROPERTY(SameDamage(reopened.report.damage, newest.report.damage,
                              /*with_reasons=*/false));
  }

  // 4. Round trip through a fresh log.
  {
    FaultInjectionEnv fresh;
    auto wal = Wal::Open(&fresh, kDir, options);
    CHECK_PROPERTY(wal.ok());
    for (const auto& [type, payload] : newest.records)
      CHECK_PROPERTY((*wal)->Append(type, payload).ok());
    Result again = ReplayOrDie(fresh, options);
    CHECK_PROPERTY(again.records == newest.records);
    CHECK_PROPERTY(again.report.damage.empty() && again.report.torn_tail_bytes == 0);
  }
  return 0;
}
