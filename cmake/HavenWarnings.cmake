add_library(haven_build_flags INTERFACE)
target_compile_options(haven_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  # C++20 designated initialisers leave the rest at their defaults on purpose.
  -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false -Wrestrict overlaps inside std::string at -O2/-O3 (GCC bug 105329); clang has no such flag.
  target_compile_options(haven_build_flags INTERFACE -Wno-restrict)
endif()
# Clang fuses a*b+c into one rounding by default (-ffp-contract=on); GCC in ISO C++ mode does not. Keep clang
# builds (the fuzz and tsan presets) computing the same numbers as GCC's, so the tests' expectations hold there.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(haven_build_flags INTERFACE -ffp-contract=off)
endif()
if(HAVEN_WARNINGS_AS_ERRORS)
  target_compile_options(haven_build_flags INTERFACE -Werror)
endif()
if(HAVEN_SANITIZE)
  target_compile_options(haven_build_flags INTERFACE -fsanitize=${HAVEN_SANITIZE} -fno-omit-frame-pointer
                                                     -fno-sanitize-recover=all)
  target_link_options(haven_build_flags INTERFACE -fsanitize=${HAVEN_SANITIZE})
endif()
