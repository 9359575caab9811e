#include "agent/dwarf_unwinder.h"

#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <cstring>

#include "base/fmt.h"
#include "symbolize/elf_base.h"
#include "symbolize/elf_file.h"

namespace hearth::agent {
namespace {

// DWARF register numbers on x86-64.
constexpr int kRegRbp = 6;
constexpr int kRegRsp = 7;
constexpr size_t kMaxFrames = HEARTH_MAX_STACK_DEPTH;

// What the callbacks read: the sample being unwound.
struct Current {
  const hearth_stack_sample* sample = nullptr;
  uint32_t tid = 0;
};

pid_t NextThread(Dwfl*, void* arg, void** thread_arg) {
  auto* cur = static_cast<Current*>(arg);
  if (*thread_arg != nullptr) return 0;  // one thread: the sampled one
  *thread_arg = arg;
  return static_cast<pid_t>(cur->tid);
}

bool GetThread(Dwfl*, pid_t tid, void* arg, void** thread_arg) {
  auto* cur = static_cast<Current*>(arg);
  if (static_cast<uint32_t>(tid) != cur->tid) return false;
  *thread_arg = arg;
  return true;
}

bool MemoryRead(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
  const hearth_stack_sample* s = static_cast<Current*>(arg)->sample;
  if (addr < s->sp || addr + sizeof(Dwarf_Word) > s->sp + s->stack_bytes) return false;
  std::memcpy(result, s->stack + (addr - s->sp), sizeof(Dwarf_Word));
  return true;
}

bool SetInitialRegisters(Dwfl_Thread* thread, void* arg) {
  const hearth_stack_sample* s = static_cast<Current*>(arg)->sample;
  Dwarf_Word bp = s->bp, sp = s->sp;
  if (!dwfl_thread_state_registers(thread, kRegRbp, 1, &bp)) return false;
  if (!dwfl_thread_state_registers(thread, kRegRsp, 1, &sp)) return false;
  dwfl_thread_state_register_pc(thread, s->ip);
  return true;
}

const Dwfl_Thread_Callbacks kThreadCallbacks = {
    NextThread, GetThread, MemoryRead, SetInitialRegisters, nullptr, nullptr,
};

char* kDebuginfoPath = nullptr;
const Dwfl_Callbacks kDwflCallbacks = {
    dwfl_build_id_find_elf,
    dwfl_standard_find_debuginfo,
    dwfl_offline_section_address,
    &kDebuginfoPath,
};

struct FrameCollector {
  std::vector<uint64_t>* pcs;
};

int OnFrame(Dwfl_Frame* frame, void* arg) {
  auto* c = static_cast<FrameCollector*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  if (pc == 0) return DWARF_CB_ABORT;
  c->pcs->push_back(pc);
  return c->pcs->size() >= kMaxFrames ? DWARF_CB_ABORT : DWARF_CB_OK;
}

}  // namespace

struct DwarfUnwinder::Session {
  Dwfl* dwfl = nullptr;
  Current current;
  std::vector<MapEntry> maps;  // what the modules were reported from
  bool attached = false;
  ~Session() {
    if (dwfl) dwfl_end(dwfl);
  }
};

DwarfUnwinder::DwarfUnwinder(std::string proc_root, size_t max_processes)
    : proc_root_(std::move(proc_root)), max_processes_(max_processes) {}

DwarfUnwinder::~DwarfUnwinder() = default;

void DwarfUnwinder::Forget(uint32_t pid) { sessions_.erase(pid); }

void DwarfUnwinder::Clear() { sessions_.clear(); }

static bool SameMaps(const std::vector<MapEntry>& a, const std::vector<MapEntry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].start != b[i].start || a[i].end != b[i].end || a[i].path != b[i].path) return false;
  }
  return true;
}

DwarfUnwinder::Session* DwarfUnwinder::SessionFor(const ProcessInfo& p) {
  auto it = sessions_.find(p.pid);
  if (it != sessions_.end() && SameMaps(it->second->maps, p.maps)) return it->second.get();
  if (it == sessions_.end() && sessions_.size() >= max_processes_) sessions_.clear();
  auto s = std::make_unique<Session>();
  s->maps = p.maps;
  s->dwfl = dwfl_begin(&kDwflCallbacks);
  if (!s->dwfl) return nullptr;
  dwfl_report_begin(s->dwfl);
  // One module per file: its lowest executable mapping decides the load bias.
  absl::flat_hash_map<std::string, bool> reported;
  for (const MapEntry& m : p.maps) {
    if (m.path.empty() || m.path[0] != '/' || reported.contains(m.path)) continue;
    reported[m.path] = true;
    // Through the process's root, so containers' files are found; then the plain path
    // (the process may be gone by now).
    std::string file = fmt::format("{}/{}/root{}", proc_root_, p.pid, m.path);
    if (access(file.c_str(), R_OK) != 0) file = m.path;
    auto elf = symbolize::ElfFile::Open(file);
    if (!elf.ok()) continue;
    auto base = symbolize::ComputeBase((*elf)->layout(), {m.start, m.end, m.offset}, m.start);
    if (!base.ok()) continue;
    dwfl_report_elf(s->dwfl, m.path.c_str(), file.c_str(), -1, *base, false);
  }
  dwfl_report_end(s->dwfl, nullptr, nullptr);
  s->attached = dwfl_attach_state(s->dwfl, nullptr, static_cast<pid_t>(p.pid), &kThreadCallbacks,
                                  &s->current);
  Session* out = s.get();
  sessions_[p.pid] = std::move(s);
  return out;
}

std::vector<uint64_t> DwarfUnwinder::Unwind(const ProcessInfo& p, const hearth_stack_sample& s) {
  std::vector<uint64_t> pcs;
  if (s.ip == 0 || s.ip >= (uint64_t{1} << 47)) return pcs;  // not a user address
  Session* session = SessionFor(p);
  if (!session || !session->attached) {
    pcs.push_back(s.ip);
    return pcs;
  }
  session->current.sample = &s;
  session->current.tid = s.tid;
  FrameCollector c{&pcs};
  dwfl_getthread_frames(session->dwfl, static_cast<pid_t>(s.tid), OnFrame, &c);
  session->current.sample = nullptr;
  if (pcs.empty()) pcs.push_back(s.ip);
  return pcs;
}

}  // namespace hearth::agent
