#include "haven/io/hdf5.hpp"

#include <H5DSpublic.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

namespace haven::h5 {

namespace {

// HDF5 1.10 cannot close a file once a flush of it has failed (a full disk): every later flush fails ("slist
// already enabled?"), H5Fclose frees the file but keeps its identifier, and the library's exit handler, closing
// that identifier again, crashes. So the library's own exit handler is replaced by one that shuts HDF5 down only
// when no file failed to close; the process is ending either way, and its descriptors close with it.
std::atomic<bool> file_left_open{false};

herr_t close_file(hid_t id) {
  const herr_t status = H5Fclose(id);
  if (status < 0) file_left_open = true;
  return status;
}

void shut_down_library() {
  if (!file_left_open) H5close();
}

// Before any other HDF5 call (HDF5 registers its exit handler when it first initialises).
[[maybe_unused]] const bool exit_handler_replaced = [] {
  H5dont_atexit();
  std::atexit(shut_down_library);
  return true;
}();

// HDF5 prints its error stack to stderr by default; we turn that off and report through exceptions. Debian's
// HDF5 is thread-safe, so the setting is per thread: a sweep's threads each turn it off before their first file.
void silence_automatic_errors() {
  thread_local bool silenced = false;
  if (silenced) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  silenced = true;
}

herr_t innermost(unsigned /*n*/, const H5E_error2_t* error, void* out) {
  auto* message = static_cast<std::string*>(out);
  if (message->empty() && error->desc != nullptr) *message = error->desc;
  return 0;
}

// HDF5's innermost message; a failed system call's is long ("file write failed: time = ..., errno = 28, error
// message = 'No space left on device', buf = ...") and only its system message is worth showing.
std::string hdf5_message() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &message);
  H5Eclear2(H5E_DEFAULT);
  const std::string marker = "error message = '";
  if (const auto start = message.find(marker); start != std::string::npos) {
    const auto from = start + marker.size();
    if (const auto end = message.find('\'', from); end != std::string::npos) return message.substr(from, end - from);
  }
  return message.empty() ? "unknown HDF5 error" : message;
}

[[noreturn]] void fail(const std::string& what) {
  std::string reason = hdf5_message();
  throw Hdf5Error(fmt::format("HDF5: cannot {}: {}", what, reason), reason);
}

Handle space(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return {check_id(H5Screate(H5S_SCALAR), "create a scalar dataspace"), H5Sclose};
  return {check_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), "create a dataspace"),
          H5Sclose};
}

Handle utf8_string_type(std::size_t size) {
  Handle type(check_id(H5Tcopy(H5T_C_S1), "copy the string type"), H5Tclose);
  check(H5Tset_size(type.id(), size == 0 ? H5T_VARIABLE : size), "size a string type");
  check(H5Tset_cset(type.id(), H5T_CSET_UTF8), "set UTF-8");
  if (size != 0) check(H5Tset_strpad(type.id(), H5T_STR_NULLTERM), "pad a string type");
  return type;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "a scalar";
  return fmt::format("shape ({})", fmt::join(dims, ", "));
}

// Whether a stored type can be read as T without a silent conversion; why not, when it cannot.
template <typename T>
std::string type_mismatch(hid_t stored) {
  const H5T_class_t type_class = H5Tget_class(stored);
  const std::size_t size = H5Tget_size(stored);
  if constexpr (std::is_floating_point_v<T>) {
    if (type_class == H5T_FLOAT) return {};
    return type_class == H5T_INTEGER ? "holds integers where floating-point numbers are expected"
                                     : "does not hold numbers";
  } else {
    if (type_class == H5T_FLOAT) return "holds floating-point numbers where integers are expected";
    if (type_class != H5T_INTEGER) return "does not hold numbers";
    const bool stored_signed = H5Tget_sign(stored) == H5T_SGN_2;
    const bool fits = std::is_signed_v<T> ? (stored_signed ? size <= sizeof(T) : size < sizeof(T))
                                          : (!stored_signed && size <= sizeof(T));
    if (!fits) {
      return fmt::format("holds {}-bit {} integers, which do not fit {}-bit {} ones", size * 8,
                         stored_signed ? "signed" : "unsigned", sizeof(T) * 8,
                         std::is_signed_v<T> ? "signed" : "unsigned");
    }
    return {};
  }
}

template <typename T>
void check_dataset_type(hid_t dataset) {
  Handle stored(check_id(H5Dget_type(dataset), "get a dataset's type"), H5Tclose);
  if (auto why = type_mismatch<T>(stored.id()); !why.empty()) throw Hdf5Error("it " + why);
}

}  // namespace

void check(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

hid_t check_id(hid_t id, const std::string& what) {
  if (id < 0) fail(what);
  return id;
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::reset() noexcept {
  if (id_ >= 0 && close_ != nullptr) close_(id_);
  id_ = H5I_INVALID_HID;
}

template <>
hid_t native_type<std::int8_t>() {
  return H5T_NATIVE_INT8;
}
template <>
hid_t native_type<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t native_type<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}
template <>
hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}

Group Group::create_group(const std::string& name) const {
  Handle gcpl(check_id(H5Pcreate(H5P_GROUP_CREATE), "create group properties"), H5Pclose);
  check(H5Pset_link_creation_order(gcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "track link order");
  check(H5Pset_attr_creation_order(gcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "track attribute order");
  check(H5Pset_obj_track_times(gcpl.id(), 0), "untrack times");
  return Group(Handle(
      check_id(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, gcpl.id(), H5P_DEFAULT), "create group " + name), H5Gclose));
}

Group Group::open_group(const std::string& name) const {
  return Group(Handle(check_id(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), "open group " + name), H5Gclose));
}

bool Group::has(const std::string& name) const {
  return H5Lexists(id(), name.c_str(), H5P_DEFAULT) > 0;
}

template <typename T>
Handle Group::create_dataset(const std::string& name, const std::vector<hsize_t>& dims, const Layout& layout) const {
  Handle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), "create dataset properties"), H5Pclose);
  check(H5Pset_attr_creation_order(dcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "track attribute order");
  // No modification times in object headers: the same run gives the same bytes.
  check(H5Pset_obj_track_times(dcpl.id(), 0), "untrack times");
  // Counts have no fill value: every element is written, and readers should not mistake a count for "missing".
  check(H5Pset_fill_time(dcpl.id(), H5D_FILL_TIME_NEVER), "disable fill values");
  bool chunked = !layout.chunk.empty();
  for (auto d : dims) chunked = chunked && d > 0;
  if (chunked) {
    check(H5Pset_chunk(dcpl.id(), static_cast<int>(layout.chunk.size()), layout.chunk.data()), "chunk " + name);
    if (layout.deflate_level > 0) {
      check(H5Pset_shuffle(dcpl.id()), "shuffle " + name);
      check(H5Pset_deflate(dcpl.id(), static_cast<unsigned>(layout.deflate_level)), "compress " + name);
    }
  }
  Handle dataspace = space(dims);
  return {
      check_id(H5Dcreate2(id(), name.c_str(), native_type<T>(), dataspace.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
               "create dataset " + name),
      H5Dclose};
}

template Handle Group::create_dataset<std::int8_t>(const std::string&, const std::vector<hsize_t>&,
                                                   const Layout&) const;
template Handle Group::create_dataset<std::int32_t>(const std::string&, const std::vector<hsize_t>&,
                                                    const Layout&) const;
template Handle Group::create_dataset<std::int64_t>(const std::string&, const std::vector<hsize_t>&,
                                                    const Layout&) const;
template Handle Group::create_dataset<std::uint64_t>(const std::string&, const std::vector<hsize_t>&,
                                                     const Layout&) const;
template Handle Group::create_dataset<double>(const std::string&, const std::vector<hsize_t>&, const Layout&) const;

Handle Group::create_string_dataset(const std::string& name, const std::vector<std::string>& values) const {
  Handle type = utf8_string_type(0);
  Handle dataspace = space({values.size()});
  Handle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), "create dataset properties"), H5Pclose);
  check(H5Pset_attr_creation_order(dcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "track attribute order");
  check(H5Pset_obj_track_times(dcpl.id(), 0), "untrack times");
  Handle dataset(
      check_id(H5Dcreate2(id(), name.c_str(), type.id(), dataspace.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
               "create dataset " + name),
      H5Dclose);
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& value : values) pointers.push_back(value.c_str());
  if (!values.empty()) {
    check(H5Dwrite(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), "write " + name);
  }
  return dataset;
}

template <typename T>
Handle create_virtual_stack(const Group& group, const std::string& name, const std::vector<hsize_t>& source_dims,
                            const std::vector<std::string>& files, const std::string& dataset, T fill) {
  std::vector<hsize_t> dims = {files.size()};
  dims.insert(dims.end(), source_dims.begin(), source_dims.end());
  Handle virtual_space = space(dims);
  Handle source_space = space(source_dims);
  Handle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), "create dataset properties"), H5Pclose);
  check(H5Pset_attr_creation_order(dcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "track attribute order");
  check(H5Pset_obj_track_times(dcpl.id(), 0), "untrack times");
  check(H5Pset_fill_value(dcpl.id(), native_type<T>(), &fill), "set the fill value of " + name);
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> count = dims;
  count[0] = 1;
  for (std::size_t k = 0; k < files.size(); ++k) {
    if (files[k].empty()) continue;
    start[0] = k;
    check(H5Sselect_hyperslab(virtual_space.id(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
          "select member slice");
    check(H5Pset_virtual(dcpl.id(), virtual_space.id(), files[k].c_str(), dataset.c_str(), source_space.id()),
          fmt::format("map {} of {}", dataset, files[k]));
  }
  check(H5Sselect_all(virtual_space.id()), "select all");
  return {check_id(H5Dcreate2(group.id(), name.c_str(), native_type<T>(), virtual_space.id(), H5P_DEFAULT, dcpl.id(),
                              H5P_DEFAULT),
                   "create virtual dataset " + name),
          H5Dclose};
}

template Handle create_virtual_stack<std::int64_t>(const Group&, const std::string&, const std::vector<hsize_t>&,
                                                   const std::vector<std::string>&, const std::string&, std::int64_t);
template Handle create_virtual_stack<double>(const Group&, const std::string&, const std::vector<hsize_t>&,
                                             const std::vector<std::string>&, const std::string&, double);

std::vector<std::string> virtual_source_files(hid_t dataset) {
  Handle dcpl(check_id(H5Dget_create_plist(dataset), "get a dataset's creation properties"), H5Pclose);
  std::vector<std::string> files;
  if (H5Pget_layout(dcpl.id()) != H5D_VIRTUAL) return files;
  std::size_t count = 0;
  check(H5Pget_virtual_count(dcpl.id(), &count), "count a virtual dataset's mappings");
  for (std::size_t k = 0; k < count; ++k) {
    const ssize_t size = H5Pget_virtual_filename(dcpl.id(), k, nullptr, 0);
    if (size < 0) check(-1, "read a virtual dataset's source file name");
    std::string name(static_cast<std::size_t>(size), '\0');
    H5Pget_virtual_filename(dcpl.id(), k, name.data(), name.size() + 1);
    if (name != "." && std::find(files.begin(), files.end(), name) == files.end()) files.push_back(std::move(name));
  }
  return files;
}

Handle Group::open_dataset(const std::string& name) const {
  return {check_id(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "open dataset " + name), H5Dclose};
}

File File::create(const std::filesystem::path& path) {
  silence_automatic_errors();
  Handle fcpl(check_id(H5Pcreate(H5P_FILE_CREATE), "create file properties"), H5Pclose);
  check(H5Pset_link_creation_order(fcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "track link order");
  check(H5Pset_attr_creation_order(fcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "track attribute order");
  check(H5Pset_obj_track_times(fcpl.id(), 0), "untrack times");
  Handle fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), "create file access properties"), H5Pclose);
  check(H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG), "set the close degree");
  return File(Handle(check_id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.id(), fapl.id()), "create " + path.string()),
                     close_file));
}

File File::open_read_only(const std::filesystem::path& path) {
  silence_automatic_errors();
  try {
    return File(
        Handle(check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "open " + path.string()), close_file));
  } catch (const Hdf5Error& e) {
    // A copy cut short: HDF5 says "truncated file: eof = 5000, sblock->base_addr = 0, stored_eof = 95978".
    if (const auto cut = e.reason().find("truncated file"); cut != std::string::npos) {
      std::size_t have = 0, want = 0;
      if (std::sscanf(e.reason().c_str() + cut, "truncated file: eof = %zu, sblock->base_addr = %*u, stored_eof = %zu",
                      &have, &want) == 2) {
        throw Hdf5Error(fmt::format("cannot open {}: the file is cut short ({} of the {} bytes it was written with): "
                                    "a copy or download that did not finish",
                                    path.string(), have, want),
                        e.reason());
      }
    }
    const bool partial = path.extension() == ".partial";
    // A run still writing it holds the file's lock: HDF5 then says only "Resource temporarily unavailable"
    // (EWOULDBLOCK; a file system without locks, ENOLCK or ENOSYS, is not another process writing).
    const bool locked = e.reason().find("Resource temporarily unavailable") != std::string::npos;
    if (!partial && !locked) throw;
    throw Hdf5Error(fmt::format("cannot open {}: {}", path.string(),
                                partial ? "a .partial file is one a run is still writing (or one a stopped run left); "
                                          "read the file it becomes once the run has finished"
                                        : "another process is writing it (the file is locked); read it once "
                                          "that has finished"),
                    e.reason());
  }
}

void File::flush() const {
  check(H5Fflush(id(), H5F_SCOPE_GLOBAL), "flush the file");
}

void File::close() {
  const hid_t id = this->id();
  if (id < 0) return;
  flush();  // a failure throws with the file still open, for discard()
  handle_.release();
  check(close_file(id), "close the file");
}

void File::release_space(const std::filesystem::path& path) const noexcept {
  if (id() < 0) return;
  std::error_code ignored;
  std::filesystem::resize_file(path, 0, ignored);
}

void File::discard(const std::filesystem::path& path) noexcept {
  if (id() >= 0) {
    release_space(path);
    *this = File();  // closes whatever is still open in it (H5F_CLOSE_STRONG); a failure is not ours to report
    H5Eclear2(H5E_DEFAULT);
  }
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

template <typename T>
void write(hid_t dataset, std::span<const T> data) {
  check(H5Dwrite(dataset, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), "write a dataset");
}

template <typename T>
void write_slab(hid_t dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
                std::span<const T> data) {
  Handle file_space(check_id(H5Dget_space(dataset), "get a dataspace"), H5Sclose);
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr),
        "select a hyperslab");
  Handle memory_space = space(count);
  check(H5Dwrite(dataset, native_type<T>(), memory_space.id(), file_space.id(), H5P_DEFAULT, data.data()),
        "write a hyperslab");
}

template <typename T>
std::vector<T> read(hid_t dataset) {
  check_dataset_type<T>(dataset);
  std::size_t total = 1;
  for (auto d : dims(dataset)) total *= d;
  std::vector<T> out(total);
  if (total > 0) {
    check(H5Dread(dataset, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read a dataset");
  }
  return out;
}

template <typename T>
std::vector<T> read_dataset(const Group& group, const std::string& name, const std::vector<hsize_t>& expected_dims) {
  try {
    if (!group.has(name)) throw Hdf5Error("it is missing");
    Handle dataset = group.open_dataset(name);
    const auto found = dims(dataset.id());
    if (found != expected_dims) {
      throw Hdf5Error(fmt::format("it has {}, expected {}", shape_text(found), shape_text(expected_dims)));
    }
    return read<T>(dataset.id());
  } catch (const Hdf5Error& e) {
    throw Hdf5Error(fmt::format("dataset '{}': {}", name, e.what()));
  }
}

std::vector<std::string> read_string_dataset(const Group& group, const std::string& name, hsize_t expected_length) {
  try {
    if (!group.has(name)) throw Hdf5Error("it is missing");
    Handle dataset = group.open_dataset(name);
    const auto found = dims(dataset.id());
    if (found != std::vector<hsize_t>{expected_length}) {
      throw Hdf5Error(fmt::format("it has {}, expected {}", shape_text(found), shape_text({expected_length})));
    }
    return read_strings(dataset.id());
  } catch (const Hdf5Error& e) {
    throw Hdf5Error(fmt::format("dataset '{}': {}", name, e.what()));
  }
}

#define HAVEN_INSTANTIATE_IO(T)                                                                                     \
  template void write<T>(hid_t, std::span<const T>);                                                                \
  template void write_slab<T>(hid_t, const std::vector<hsize_t>&, const std::vector<hsize_t>&, std::span<const T>); \
  template std::vector<T> read<T>(hid_t);                                                                           \
  template std::vector<T> read_dataset<T>(const Group&, const std::string&, const std::vector<hsize_t>&);
HAVEN_INSTANTIATE_IO(std::int8_t)
HAVEN_INSTANTIATE_IO(std::int32_t)
HAVEN_INSTANTIATE_IO(std::int64_t)
HAVEN_INSTANTIATE_IO(std::uint64_t)
HAVEN_INSTANTIATE_IO(double)
#undef HAVEN_INSTANTIATE_IO

std::vector<std::string> read_strings(hid_t dataset) {
  {
    Handle stored(check_id(H5Dget_type(dataset), "get a dataset's type"), H5Tclose);
    if (H5Tget_class(stored.id()) != H5T_STRING) throw Hdf5Error("it does not hold strings");
  }
  const auto shape = dims(dataset);
  if (shape.size() != 1) throw Hdf5Error(fmt::format("it has {}, expected one dimension", shape_text(shape)));
  const auto n = shape[0];
  Handle type = utf8_string_type(0);
  std::vector<char*> pointers(n, nullptr);
  Handle dataspace(check_id(H5Dget_space(dataset), "get a dataspace"), H5Sclose);
  // The strings HDF5 allocates are freed on every path, a failed read's partial ones included.
  struct Reclaim {
    hid_t type, space;
    std::vector<char*>& pointers;
    ~Reclaim() {
      if (!pointers.empty()) H5Dvlen_reclaim(type, space, H5P_DEFAULT, pointers.data());
    }
  } reclaim{type.id(), dataspace.id(), pointers};
  if (n > 0) check(H5Dread(dataset, type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), "read strings");
  std::vector<std::string> out;
  out.reserve(n);
  for (auto* p : pointers) out.emplace_back(p ? p : "");
  return out;
}

std::vector<hsize_t> dims(hid_t dataset) {
  Handle dataspace(check_id(H5Dget_space(dataset), "get a dataspace"), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(dataspace.id());
  std::vector<hsize_t> out(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(dataspace.id(), out.data(), nullptr);
  return out;
}

void set_attribute(hid_t object, const std::string& name, const std::string& value) {
  // Variable-length UTF-8: h5py gives str (not bytes), netCDF gives a string attribute.
  Handle type = utf8_string_type(0);
  Handle dataspace = space({});
  Handle attribute(check_id(H5Acreate2(object, name.c_str(), type.id(), dataspace.id(), H5P_DEFAULT, H5P_DEFAULT),
                            "create attribute " + name),
                   H5Aclose);
  const char* text = value.c_str();
  check(H5Awrite(attribute.id(), type.id(), &text), "write attribute " + name);
}

template <typename T>
void set_attribute(hid_t object, const std::string& name, T value) {
  set_attribute_array<T>(object, name, std::span<const T>(&value, 1));
}

template <typename T>
void set_attribute_array(hid_t object, const std::string& name, std::span<const T> values) {
  Handle dataspace = values.size() == 1 ? space({}) : space({values.size()});
  Handle attribute(
      check_id(H5Acreate2(object, name.c_str(), native_type<T>(), dataspace.id(), H5P_DEFAULT, H5P_DEFAULT),
               "create attribute " + name),
      H5Aclose);
  check(H5Awrite(attribute.id(), native_type<T>(), values.data()), "write attribute " + name);
}

bool has_attribute(hid_t object, const std::string& name) {
  return H5Aexists(object, name.c_str()) > 0;
}

namespace {

// Attributes we read are single values: an array would overflow the one value we read it into.
void check_scalar_attribute(hid_t attribute, const std::string& name) {
  Handle dataspace(check_id(H5Aget_space(attribute), "get the dataspace of attribute " + name), H5Sclose);
  if (H5Sget_simple_extent_npoints(dataspace.id()) != 1) {
    throw Hdf5Error(fmt::format("attribute '{}' holds {} values where one is expected", name,
                                H5Sget_simple_extent_npoints(dataspace.id())));
  }
}

}  // namespace

std::string read_string_attribute(hid_t object, const std::string& name) {
  Handle attribute(check_id(H5Aopen(object, name.c_str(), H5P_DEFAULT), "open attribute " + name), H5Aclose);
  check_scalar_attribute(attribute.id(), name);
  Handle type(check_id(H5Aget_type(attribute.id()), "get the type of " + name), H5Tclose);
  if (H5Tget_class(type.id()) != H5T_STRING) throw Hdf5Error(fmt::format("attribute '{}' is not text", name));
  if (H5Tis_variable_str(type.id()) > 0) {
    char* text = nullptr;
    Handle memory = utf8_string_type(0);
    const herr_t status = H5Aread(attribute.id(), memory.id(), &text);
    std::string out = text ? text : "";
    H5free_memory(text);
    check(status, "read attribute " + name);
    return out;
  }
  const std::size_t size = H5Tget_size(type.id());
  std::string out(size, '\0');
  Handle memory = utf8_string_type(size);
  check(H5Aread(attribute.id(), memory.id(), out.data()), "read attribute " + name);
  out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));
  return out;
}

template <typename T>
T read_attribute(hid_t object, const std::string& name) {
  Handle attribute(check_id(H5Aopen(object, name.c_str(), H5P_DEFAULT), "open attribute " + name), H5Aclose);
  check_scalar_attribute(attribute.id(), name);
  {
    Handle stored(check_id(H5Aget_type(attribute.id()), "get the type of " + name), H5Tclose);
    if (auto why = type_mismatch<T>(stored.id()); !why.empty()) {
      throw Hdf5Error(fmt::format("attribute '{}' {}", name, why));
    }
  }
  T value{};
  check(H5Aread(attribute.id(), native_type<T>(), &value), "read attribute " + name);
  return value;
}

#define HAVEN_INSTANTIATE_ATTRIBUTE(T)                                                 \
  template void set_attribute<T>(hid_t, const std::string&, T);                        \
  template void set_attribute_array<T>(hid_t, const std::string&, std::span<const T>); \
  template T read_attribute<T>(hid_t, const std::string&);
HAVEN_INSTANTIATE_ATTRIBUTE(std::int8_t)
HAVEN_INSTANTIATE_ATTRIBUTE(std::int32_t)
HAVEN_INSTANTIATE_ATTRIBUTE(std::int64_t)
HAVEN_INSTANTIATE_ATTRIBUTE(std::uint64_t)
HAVEN_INSTANTIATE_ATTRIBUTE(double)
#undef HAVEN_INSTANTIATE_ATTRIBUTE

void make_dimension_scale(hid_t scale, const std::string& name) {
  check(H5DSset_scale(scale, name.c_str()), "make " + name + " a dimension scale");
}

void attach_scale(hid_t dataset, hid_t scale, unsigned index) {
  check(H5DSattach_scale(dataset, scale, index), "attach a dimension scale");
}

}  // namespace haven::h5
