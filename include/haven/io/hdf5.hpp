#pragma once
// A small RAII layer over the HDF5 C API: handles close themselves, and every failing call throws Hdf5Error
// naming what we were doing and HDF5's own innermost message. We use the C API because it has the dimension
// scale functions (H5DS) that make files open with named dimensions in xarray and netCDF; the C++ API lacks
// them and HighFive is not packaged in Debian 12.

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace haven::h5 {

class Hdf5Error : public std::runtime_error {
 public:
  explicit Hdf5Error(const std::string& message, std::string reason = {})
      : std::runtime_error(message), reason_(reason.empty() ? message : std::move(reason)) {}
  // HDF5's innermost message alone, or the system's when a read or write failed ("No space left on device").
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

 private:
  std::string reason_;
};

// Throws Hdf5Error("<what>: <HDF5's message>") when `status` is negative.
void check(herr_t status, const std::string& what);
hid_t check_id(hid_t id, const std::string& what);

// An owned HDF5 identifier, closed with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept;
  ~Handle() { reset(); }
  void reset() noexcept;
  // Forgets the identifier without closing it (the caller closes it).
  hid_t release() noexcept {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }
  [[nodiscard]] hid_t id() const noexcept { return id_; }
  [[nodiscard]] bool valid() const noexcept { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// Element types we store, mapped to HDF5 native types.
template <typename T>
hid_t native_type();

// Dataset creation options.
struct Layout {
  std::vector<hsize_t> chunk;  // empty = contiguous
  int deflate_level = 4;       // with the shuffle filter; ignored when contiguous
};

// A group (the file's root is one) that creates and opens datasets, subgroups and attributes.
class Group {
 public:
  Group() = default;
  explicit Group(Handle handle) : handle_(std::move(handle)) {}
  [[nodiscard]] hid_t id() const noexcept { return handle_.id(); }

  Group create_group(const std::string& name) const;
  Group open_group(const std::string& name) const;
  [[nodiscard]] bool has(const std::string& name) const;

  template <typename T>
  Handle create_dataset(const std::string& name, const std::vector<hsize_t>& dims, const Layout& layout = {}) const;
  Handle create_string_dataset(const std::string& name, const std::vector<std::string>& values) const;
  Handle open_dataset(const std::string& name) const;

 protected:
  Handle handle_;
};

class File : public Group {
 public:
  // Creates (truncating) with link and attribute creation order tracked, so variables keep their order. Closing
  // the file closes every object still open in it (H5F_CLOSE_STRONG), so no error path leaves the file open.
  static File create(const std::filesystem::path& path);
  static File open_read_only(const std::filesystem::path& path);
  void flush() const;
  // Closes the file, throwing when HDF5 cannot write what it still holds (a full disk, an I/O error).
  void close();
  // After a failed write, before closing anything of this file: empties `path` (this file), so that the flushes
  // HDF5 makes when its objects close find the space they need. An object or file HDF5 fails to close stays
  // open in the library, which then crashes in its exit handler.
  void release_space(const std::filesystem::path& path) const noexcept;
  // After a failed write: releases the space, closes the file (and every object open in it) without throwing,
  // then removes `path`.
  void discard(const std::filesystem::path& path) noexcept;

 private:
  using Group::Group;
};

// A virtual dataset stacking whole datasets of other files along a new first dimension: slice k is
// `dataset` in `files[k]` (each of shape `source_dims`); an empty file name leaves slice k unmapped (read as
// `fill`). Relative file names are found relative to the virtual dataset's own file. Nothing is copied.
template <typename T>
Handle create_virtual_stack(const Group& group, const std::string& name, const std::vector<hsize_t>& source_dims,
                            const std::vector<std::string>& files, const std::string& dataset, T fill);

// The files a virtual dataset maps (as stored: relative names are relative to its own file), each once; empty
// for a dataset that is not virtual. "." (the dataset's own file) is left out.
std::vector<std::string> virtual_source_files(hid_t dataset);

// Writes `data` (row-major, the whole dataset) or a hyperslab starting at `offset` with extent `count`.
template <typename T>
void write(hid_t dataset, std::span<const T> data);
template <typename T>
void write_slab(hid_t dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
                std::span<const T> data);

// Reading checks the stored element type first (an integer read as T must be an integer type that fits T, a
// double a floating type, strings a string type) and throws Hdf5Error when it does not: nothing is converted
// silently. read_strings also requires a 1-D dataset.
template <typename T>
std::vector<T> read(hid_t dataset);
std::vector<std::string> read_strings(hid_t dataset);
std::vector<hsize_t> dims(hid_t dataset);

// Opens `name` in `group` and reads it after checking its element type (as read<T>) and its shape against
// `expected_dims`; throws Hdf5Error("dataset 'name' ...") saying what was found and what was expected.
template <typename T>
std::vector<T> read_dataset(const Group& group, const std::string& name, const std::vector<hsize_t>& expected_dims);
std::vector<std::string> read_string_dataset(const Group& group, const std::string& name, hsize_t expected_length);

// Attributes on any object (file, group, dataset). Strings are variable-length UTF-8.
void set_attribute(hid_t object, const std::string& name, const std::string& value);
template <typename T>
void set_attribute(hid_t object, const std::string& name, T value);
template <typename T>
void set_attribute_array(hid_t object, const std::string& name, std::span<const T> values);
[[nodiscard]] bool has_attribute(hid_t object, const std::string& name);
std::string read_string_attribute(hid_t object, const std::string& name);
// A scalar (or one-element) numeric attribute of a type that fits T; anything else throws Hdf5Error.
template <typename T>
T read_attribute(hid_t object, const std::string& name);

// Dimension scales: `scale` becomes a dimension named `name`, attached to dimension `index` of `dataset`.
void make_dimension_scale(hid_t scale, const std::string& name);
void attach_scale(hid_t dataset, hid_t scale, unsigned index);

}  // namespace haven::h5
