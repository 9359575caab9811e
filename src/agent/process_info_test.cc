#include "agent/process_info.h"

#include <unistd.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hearth::agent {
namespace {

TEST(ParseMaps, KeepsExecutableMappingsSorted) {
  const char* text =
      "7f0000002000-7f0000003000 r-xp 00002000 fd:01 99   /usr/lib/libc.so.6\n"
      "55d0c0a00000-55d0c0a21000 r-xp 00001000 fd:01 1234   /usr/bin/foo bar\n"
      "55d0c0b00000-55d0c0b21000 rw-p 00000000 00:00 0 [heap]\n"
      "garbage line\n"
      "7ffc00000000-7ffc00001000 r-xp 00000000 00:00 0                          [vdso]\n";
  std::vector<MapEntry> m = ParseMaps(text);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].start, 0x55d0c0a00000u);
  EXPECT_EQ(m[0].end, 0x55d0c0a21000u);
  EXPECT_EQ(m[0].offset, 0x1000u);
  EXPECT_EQ(m[0].inode, 1234u);
  EXPECT_EQ(m[0].path, "/usr/bin/foo bar");
  EXPECT_EQ(m[1].path, "/usr/lib/libc.so.6");
  EXPECT_EQ(m[2].path, "[vdso]");
  ProcessInfo p;
  p.maps = m;
  ASSERT_NE(p.Find(0x55d0c0a00010), nullptr);
  EXPECT_EQ(p.Find(0x55d0c0a00010)->path, "/usr/bin/foo bar");
  EXPECT_EQ(p.Find(0x55d0c0a21000), nullptr);  // end is exclusive
  EXPECT_EQ(p.Find(0x1000), nullptr);
}

TEST(ParseCgroup, Docker) {
  const std::string id(64, 'a');
  CgroupInfo c = ParseCgroup("0::/system.slice/docker-" + id + ".scope\n");
  EXPECT_EQ(c.container_id, id);
  EXPECT_EQ(c.systemd_unit, "");
  EXPECT_EQ(c.path, "/system.slice/docker-" + id + ".scope");
}

TEST(ParseCgroup, KubernetesSystemdDriver) {
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  CgroupInfo c = ParseCgroup(
      "0::/kubepods.slice/kubepods-burstable.slice/"
      "kubepods-burstable-pod1c4a5f9e_2b7d_4e3a_9f10_aabbccddeeff.slice/cri-containerd-" +
      id + ".scope\n");
  EXPECT_EQ(c.container_id, id);
  EXPECT_EQ(c.pod_uid, "1c4a5f9e-2b7d-4e3a-9f10-aabbccddeeff");
}

TEST(ParseCgroup, KubernetesCgroupfsV1) {
  const std::string id(64, 'f');
  CgroupInfo c = ParseCgroup(
      "12:memory:/kubepods/besteffort/pod1c4a5f9e-2b7d-4e3a-9f10-aabbccddeeff/" + id +
      "\n1:name=systemd:/kubepods/besteffort/pod1c4a5f9e-2b7d-4e3a-9f10-aabbccddeeff/" + id + "\n");
  EXPECT_EQ(c.container_id, id);
  EXPECT_EQ(c.pod_uid, "1c4a5f9e-2b7d-4e3a-9f10-aabbccddeeff");
}

TEST(ParseCgroup, SystemdUnits) {
  EXPECT_EQ(ParseCgroup("0::/system.slice/nginx.service\n").systemd_unit, "nginx.service");
  // The innermost service wins; user@N.service is the session manager, not a service.
  EXPECT_EQ(ParseCgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n")
                .systemd_unit,
            "foo.service");
  EXPECT_EQ(ParseCgroup("0::/user.slice/user-1000.slice/user@1000.service/init.scope\n").systemd_unit, "");
  EXPECT_EQ(ParseCgroup("0::/\n").container_id, "");
}

TEST(FindContainerId, NeedsExactly64Hex) {
  EXPECT_EQ(FindContainerId(std::string(63, 'a')), "");
  EXPECT_EQ(FindContainerId(std::string(65, 'a')), "");
  EXPECT_EQ(FindContainerId("x-" + std::string(64, 'b') + ".scope"), std::string(64, 'b'));
}

TEST(ProcessReader, ReadsItself) {
  ProcessReader r;
  auto p = r.Read(static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(p->ppid, static_cast<uint32_t>(getppid()));
  EXPECT_THAT(p->exe, testing::EndsWith("agent_test"));
  EXPECT_THAT(p->cmdline, testing::HasSubstr("agent_test"));
  EXPECT_FALSE(p->kernel_thread);
  const MapEntry* self = p->Find(reinterpret_cast<uint64_t>(&ParseMaps));
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->path, p->exe);
  // CMake's default link adds a GNU build id on Debian.
  EXPECT_EQ(self->build_id.size(), 40u);
}

TEST(ProcessReader, GoneProcessIsNotFound) {
  ProcessReader r;
  auto p = r.Read(0x7ffffff0u);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
}

TEST(ProcessReader, KernelThread) {
  ProcessReader r;
  auto p = r.Read(2);  // kthreadd
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->kernel_thread);
  EXPECT_EQ(p->exe, "");
  EXPECT_TRUE(p->maps.empty());
}

}  // namespace
}  // namespace hearth::agent
