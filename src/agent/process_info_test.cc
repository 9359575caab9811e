#include "agent/process_info.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "base/fmt.h"
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

// An exiting process loses its mappings before its last samples are assembled: a refresh
// then must keep the ones it ran with (a zombie's /proc/PID/maps is empty).
TEST(ProcessReader, KeepsTheMappingsOfAZombie) {
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    close(go[1]);
    (void)!read(go[0], &c, 1);  // until the parent closes its end
    _exit(0);
  }
  close(go[0]);
  ProcessReader r;
  auto p = r.Read(static_cast<uint32_t>(child));
  ASSERT_TRUE(p.ok()) << p.status();
  const size_t mapped = p->maps.size();
  ASSERT_GT(mapped, 0u);
  close(go[1]);
  // Wait until it is a zombie (state Z), not yet reaped.
  bool zombie = false;
  for (int i = 0; i < 500 && !zombie; ++i) {
    std::ifstream stat(fmt::format("/proc/{}/stat", child));
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t close_paren = text.rfind(')');
    zombie = close_paren != std::string::npos && text.compare(close_paren + 2, 1, "Z") == 0;
    if (!zombie) usleep(2000);
  }
  ASSERT_TRUE(zombie);
  std::ifstream maps(fmt::format("/proc/{}/maps", child));
  std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "") << "a zombie has no mappings";
  EXPECT_TRUE(r.RefreshMaps(&*p).ok());
  EXPECT_EQ(p->maps.size(), mapped);
  waitpid(child, nullptr, 0);
  // Gone altogether: an error, and still nothing lost.
  EXPECT_EQ(r.RefreshMaps(&*p).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(p->maps.size(), mapped);
}

}  // namespace
}  // namespace hearth::agent
