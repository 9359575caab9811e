// libFuzzer target: any string through every demangler and mode. The Rust v0 printer
// recurses and follows backrefs, the C++ simplifier scans brackets: none may crash or hang,
// and the v0 printer's output stays under its limit.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "symbolize/demangle.h"
#include "symbolize/rust_demangle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace s = hearth::symbolize;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string rust_v0 = "_R" + std::string(in);
  const std::string itanium = "_ZN" + std::string(in);
  for (const std::string* name : {&rust_v0, &itanium}) {
    for (s::DemangleMode m :
         {s::DemangleMode::kFull, s::DemangleMode::kTemplates, s::DemangleMode::kSimplified}) {
      (void)s::Demangle(*name, m);
    }
  }
  if (auto v0 = s::DemangleRustV0(rust_v0); v0 && v0->size() > (1 << 17)) std::abort();
  (void)s::DemangleRustLegacy(itanium);
  (void)s::SimplifyCppName(in, false);
  (void)s::SimplifyCppName(in, true);
  return 0;
}
