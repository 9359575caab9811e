// A small program whose optimized build has known inline chains, for symbolizer tests.
// Built by make_inline_prog.sh; the binaries next to this file are its output.
#include <cstdio>
#include <cstdlib>

namespace shapes {

template <typename T>
struct Box {
  T value;
  // Inlined into Area, which is inlined into Total.
  inline T Twice() const { return value * 2 + static_cast<T>(std::rand() % 3); }
};

static inline int Area(const Box<int>& b) { return b.Twice() * b.value; }

__attribute__((noinline)) int Total(int n) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    Box<int> b{i};
    sum += Area(b);
  }
  return sum;
}

}  // namespace shapes

namespace {
__attribute__((noinline)) int Helper(int x) { return x ^ std::rand(); }
}  // namespace

int main(int argc, char** argv) {
  auto square = [](int v) { return v * v + Helper(v); };
  int n = argc > 1 ? std::atoi(argv[1]) : 10;
  std::printf("%d %d\n", shapes::Total(n), square(n));
  return 0;
}
