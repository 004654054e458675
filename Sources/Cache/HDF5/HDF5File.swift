import CHDF5
import Foundation
import Support

/// An open HDF5 file. Closed when released. Objects inside are addressed by path
/// (`/train/audio`).
public final class HDF5File {
    public enum Mode { case readOnly, readWrite, create }

    public let path: String
    let id: hid_t
    private var isOpen = true

    public init(path: String, mode: Mode) throws {
        self.path = path
        _ = H5open()
        // HDF5 prints its own error stack to stderr by default; we report errors ourselves.
        H5Eset_auto2(0, nil, nil)
        let fid: hid_t
        switch mode {
        case .readOnly: fid = H5Fopen(path, bv_h5f_acc_rdonly(), bv_h5p_default())
        case .readWrite: fid = H5Fopen(path, bv_h5f_acc_rdwr(), bv_h5p_default())
        case .create: fid = H5Fcreate(path, bv_h5f_acc_trunc(), bv_h5p_default(), bv_h5p_default())
        }
        guard fid >= 0 else {
            throw HDF5Error(path: path, what: mode == .create ? "cannot create the file" : "cannot open the file (missing or not HDF5)")
        }
        id = fid
    }

    deinit { close() }

    /// Whether this HDF5 build may be called from several threads at once (Debian's is);
    /// `BatchStream` reads ahead on a thread of its own only then.
    public static var libraryIsThreadSafe: Bool {
        _ = H5open()
        var safe: hbool_t = false
        return H5is_library_threadsafe(&safe) >= 0 && safe
    }

    /// Closes the file (every dataset handle must be released first); idempotent.
    public func close() {
        if isOpen { H5Fclose(id) }
        isOpen = false
    }

    /// Writes buffered data to disk.
    public func flush() throws {
        guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw HDF5Error(path: path, what: "flush failed") }
    }

    public func exists(_ name: String) -> Bool {
        // Check each level: H5Lexists fails on a path whose parent does not exist.
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += "/" + part
            if H5Lexists(id, prefix, bv_h5p_default()) <= 0 { return false }
        }
        return true
    }

    public func createGroup(_ name: String) throws {
        if exists(name) { return }
        let g = H5Gcreate2(id, name, bv_h5p_default(), bv_h5p_default(), bv_h5p_default())
        guard g >= 0 else { throw HDF5Error(path: path, what: "cannot create group \(name)") }
        H5Gclose(g)
    }

    /// Creates a float32 dataset chunked along the first dimension (`chunkRows` rows per
    /// chunk), so that one sample is one chunk read.
    public func createFloatDataset(_ name: String, shape: [Int], chunkRows: Int = 1) throws -> HDF5Dataset {
        try createDataset(name, type: bv_h5t_native_float(), shape: shape, chunkRows: chunkRows)
    }

    /// A float64 dataset of one dimension (per-sample figures), unchunked.
    public func createDoubleDataset(_ name: String, count: Int) throws -> HDF5Dataset {
        try createDataset(name, type: bv_h5t_native_double(), shape: [count], chunkRows: nil)
    }

    /// A fixed-length UTF-8 string dataset of one dimension.
    public func createStringDataset(_ name: String, count: Int, maxLength: Int) throws -> HDF5Dataset {
        let t = H5Tcopy(bv_h5t_c_s1())
        defer { H5Tclose(t) }
        H5Tset_size(t, max(1, maxLength))
        H5Tset_cset(t, H5T_CSET_UTF8)
        H5Tset_strpad(t, H5T_STR_NULLPAD)
        return try createDataset(name, type: t, shape: [count], chunkRows: nil)
    }

    private func createDataset(_ name: String, type: hid_t, shape: [Int], chunkRows: Int?) throws -> HDF5Dataset {
        var dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), &dims, nil)
        defer { H5Sclose(space) }
        let dcpl = H5Pcreate(bv_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        if let rows = chunkRows, shape.allSatisfy({ $0 > 0 }) {
            var chunk = dims
            chunk[0] = hsize_t(min(rows, shape[0]))
            H5Pset_chunk(dcpl, Int32(chunk.count), &chunk)
            // Allocate every chunk now and never write fill values: later writes then touch
            // raw data only, never the file's metadata, so a killed writer cannot corrupt
            // what was flushed before (and nothing is written twice).
            H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY)
            H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER)
        }
        let ds = H5Dcreate2(id, name, type, space, bv_h5p_default(), dcpl, bv_h5p_default())
        guard ds >= 0 else { throw HDF5Error(path: path, what: "cannot create dataset \(name) \(shape)") }
        return HDF5Dataset(file: self, name: name, id: ds)
    }

    /// What a virtual dataset's rows are made of: float32 values or fixed-length strings.
    public enum ElementType: Equatable {
        case float32
        case string(width: Int)
    }

    /// One block of a virtual dataset: all rows of `dataset` in the file at `file` (a path
    /// relative to this file's folder, so the pair can move together) land at `rows`.
    public struct VirtualSource {
        public var file: String
        public var dataset: String
        public var rows: Range<Int>
        public init(file: String, dataset: String, rows: Range<Int>) {
            self.file = file
            self.dataset = dataset
            self.rows = rows
        }
    }

    /// A virtual dataset (HDF5 VDS) of `shape` whose row blocks are other files' datasets;
    /// read like any dataset, by this library or plain h5py.
    public func createVirtualDataset(_ name: String, type element: ElementType, shape: [Int], sources: [VirtualSource]) throws {
        let type: hid_t
        switch element {
        case .float32: type = H5Tcopy(bv_h5t_native_float())
        case let .string(width):
            type = H5Tcopy(bv_h5t_c_s1())
            H5Tset_size(type, max(1, width))
            H5Tset_cset(type, H5T_CSET_UTF8)
            H5Tset_strpad(type, H5T_STR_NULLPAD)
        }
        defer { H5Tclose(type) }
        var dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), &dims, nil)
        defer { H5Sclose(space) }
        let dcpl = H5Pcreate(bv_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        for source in sources where !source.rows.isEmpty {
            var block = dims
            block[0] = hsize_t(source.rows.count)
            let sourceSpace = H5Screate_simple(Int32(block.count), &block, nil)
            defer { H5Sclose(sourceSpace) }
            var start = [hsize_t](repeating: 0, count: dims.count)
            start[0] = hsize_t(source.rows.lowerBound)
            guard H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &block, nil) >= 0,
                  H5Pset_virtual(dcpl, space, source.file, source.dataset, sourceSpace) >= 0 else {
                throw HDF5Error(path: path, what: "cannot map \(source.file):\(source.dataset) into \(name)")
            }
        }
        H5Sselect_all(space)
        let ds = H5Dcreate2(id, name, type, space, bv_h5p_default(), dcpl, bv_h5p_default())
        guard ds >= 0 else { throw HDF5Error(path: path, what: "cannot create virtual dataset \(name) \(shape)") }
        H5Dclose(ds)
    }

    /// Opens a dataset whose data is stored in this file (or, for a virtual dataset, in the
    /// sources the caller checks): links out of the file and external raw storage are refused.
    public func openDataset(_ name: String) throws -> HDF5Dataset {
        guard exists(name) else { throw HDF5Error(path: path, what: "no dataset \(name)") }
        if let foreign = foreignStorage(of: name) {
            throw HDF5Error(path: path, what: "\(foreign): a cache stores its data in itself; refused")
        }
        // No chunk cache: a sample is one whole chunk, read straight into the caller's buffer.
        let dapl = H5Pcreate(bv_h5p_dataset_access())
        defer { H5Pclose(dapl) }
        H5Pset_chunk_cache(dapl, 0, 0, 1.0)
        let ds = H5Dopen2(id, name, dapl)
        guard ds >= 0 else { throw HDF5Error(path: path, what: "cannot open dataset \(name)") }
        let external = externalFiles(of: ds)
        guard external.isEmpty else {
            H5Dclose(ds)
            throw HDF5Error(path: path, what: "\(name) stores its data in external file(s) \(external.map(quoted).joined(separator: ", ")), outside this file: a cache stores its data in itself; refused")
        }
        return HDF5Dataset(file: self, name: name, id: ds)
    }

    // MARK: attributes on the root group

    public func setAttribute(_ name: String, _ value: String) throws {
        try HDF5Attributes.write(on: id, name: name, string: value, path: path)
    }

    public func setAttribute(_ name: String, _ value: Int) throws {
        var v = Int64(value)
        try HDF5Attributes.write(on: id, name: name, type: bv_h5t_native_int64(), value: &v, path: path)
    }

    public func setAttribute(_ name: String, _ value: Double) throws {
        var v = value
        try HDF5Attributes.write(on: id, name: name, type: bv_h5t_native_double(), value: &v, path: path)
    }

    public func stringAttribute(_ name: String) -> String? { HDF5Attributes.readString(on: id, name: name) }
    public func intAttribute(_ name: String) -> Int? {
        var v: Int64 = 0
        return HDF5Attributes.read(on: id, name: name, type: bv_h5t_native_int64(), into: &v) ? Int(v) : nil
    }
    public func doubleAttribute(_ name: String) -> Double? {
        var v = 0.0
        return HDF5Attributes.read(on: id, name: name, type: bv_h5t_native_double(), into: &v) ? v : nil
    }

    public func attributeNames() -> [String] { HDF5Attributes.names(on: id) }
}

/// One dataset of an open file.
public final class HDF5Dataset {
    public let file: HDF5File
    public let name: String
    let id: hid_t

    private var isOpen = true

    init(file: HDF5File, name: String, id: hid_t) {
        self.file = file
        self.name = name
        self.id = id
    }

    deinit { close() }

    /// Releases the handle now (idempotent). The file only really closes when its last
    /// dataset does, so writers close their datasets before the file.
    public func close() {
        if isOpen { H5Dclose(id) }
        isOpen = false
    }

    public var shape: [Int] {
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank > 0 else { return [] }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int(clamping: $0) }  // a hostile 2^64 is Int.max, refused by the callers' bounds
    }

    /// Whether the element type is a 32-bit float (what the cache stores).
    public var isFloat32: Bool {
        let t = H5Dget_type(id)
        defer { H5Tclose(t) }
        return H5Tget_class(t) == H5T_FLOAT && H5Tget_size(t) == 4
    }

    /// The (file, dataset) pairs a virtual dataset reads (empty for an ordinary dataset), as recorded.
    public var virtualSources: [(file: String, dataset: String)] {
        let dcpl = H5Dget_create_plist(id)
        guard dcpl >= 0 else { return [] }
        defer { H5Pclose(dcpl) }
        guard H5Pget_layout(dcpl) == H5D_VIRTUAL else { return [] }
        var count = 0
        guard H5Pget_virtual_count(dcpl, &count) >= 0 else { return [] }
        func text(_ get: (UnsafeMutablePointer<CChar>?, Int) -> Int) -> String {
            let n = get(nil, 0)
            guard n > 0, n < 4096 else { return "" }
            var buffer = [CChar](repeating: 0, count: n + 1)
            _ = get(&buffer, buffer.count)
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return (0..<min(count, 1 << 16)).map { i in
            (text { H5Pget_virtual_filename(dcpl, i, $0, $1) }, text { H5Pget_virtual_dsetname(dcpl, i, $0, $1) })
        }
    }

    /// Whether the dataset is virtual (its rows read from other datasets).
    public var isVirtual: Bool {
        let dcpl = H5Dget_create_plist(id)
        guard dcpl >= 0 else { return false }
        defer { H5Pclose(dcpl) }
        return H5Pget_layout(dcpl) == H5D_VIRTUAL
    }

    /// The byte width of a fixed-length string dataset (nil for other types).
    public var stringWidth: Int? {
        let t = H5Dget_type(id)
        defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_STRING, H5Tis_variable_str(t) == 0 else { return nil }
        return H5Tget_size(t)
    }

    /// Elements per row (product of every dimension but the first).
    public var rowSize: Int { shape.dropFirst().reduce(1, *) }

    private func selectRows(_ start: Int, _ count: Int) throws -> (file: hid_t, memory: hid_t) {
        let dims = shape
        guard !dims.isEmpty, start >= 0, count >= 0, start + count <= dims[0] else {
            throw HDF5Error(path: file.path, what: "rows \(start)..<\(start + count) outside \(name) \(dims)")
        }
        let fspace = H5Dget_space(id)
        var offset = [hsize_t](repeating: 0, count: dims.count)
        offset[0] = hsize_t(start)
        var extent = dims.map { hsize_t($0) }
        extent[0] = hsize_t(count)
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &offset, nil, &extent, nil)
        let mspace = H5Screate_simple(Int32(extent.count), &extent, nil)
        return (fspace, mspace)
    }

    /// Writes `count` consecutive rows starting at `start` from `values` (row-major).
    public func writeRows(_ start: Int, count: Int, _ values: UnsafeBufferPointer<Float>) throws {
        guard values.count == count * rowSize else {
            throw HDF5Error(path: file.path, what: "writing \(values.count) values into \(count) rows of \(rowSize) in \(name)")
        }
        let (fspace, mspace) = try selectRows(start, count)
        defer { H5Sclose(fspace); H5Sclose(mspace) }
        guard H5Dwrite(id, bv_h5t_native_float(), mspace, fspace, bv_h5p_default(), values.baseAddress) >= 0 else {
            throw HDF5Error(path: file.path, what: "write failed for \(name) rows \(start)..<\(start + count)")
        }
    }

    /// Reads `count` rows starting at `start` into `out` (row-major).
    public func readRows(_ start: Int, count: Int, into out: UnsafeMutableBufferPointer<Float>) throws {
        guard out.count >= count * rowSize else {
            throw HDF5Error(path: file.path, what: "buffer of \(out.count) for \(count) rows of \(rowSize) in \(name)")
        }
        let (fspace, mspace) = try selectRows(start, count)
        defer { H5Sclose(fspace); H5Sclose(mspace) }
        guard H5Dread(id, bv_h5t_native_float(), mspace, fspace, bv_h5p_default(), out.baseAddress) >= 0 else {
            throw HDF5Error(path: file.path, what: "read failed for \(name) rows \(start)..<\(start + count)")
        }
    }

    /// Writes consecutive float64 values of a one-dimensional dataset from `start`.
    public func writeDoubles(_ values: [Double], start: Int = 0) throws {
        let (fspace, mspace) = try selectRows(start, values.count)
        defer { H5Sclose(fspace); H5Sclose(mspace) }
        guard H5Dwrite(id, bv_h5t_native_double(), mspace, fspace, bv_h5p_default(), values) >= 0 else {
            throw HDF5Error(path: file.path, what: "write failed for \(name) rows \(start)..<\(start + values.count)")
        }
    }

    public func readRows(_ start: Int, count: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: count * rowSize)
        try out.withUnsafeMutableBufferPointer { try readRows(start, count: count, into: $0) }
        return out
    }

    /// Writes fixed-length strings (truncated to the dataset's length).
    public func writeStrings(_ values: [String], start: Int = 0) throws {
        let t = H5Dget_type(id)
        defer { H5Tclose(t) }
        let width = H5Tget_size(t)
        var buffer = [UInt8](repeating: 0, count: values.count * width)
        for (i, s) in values.enumerated() {
            for (j, b) in s.utf8.prefix(width).enumerated() { buffer[i * width + j] = b }
        }
        let (fspace, mspace) = try selectRows(start, values.count)
        defer { H5Sclose(fspace); H5Sclose(mspace) }
        guard H5Dwrite(id, t, mspace, fspace, bv_h5p_default(), buffer) >= 0 else {
            throw HDF5Error(path: file.path, what: "write failed for strings \(name)")
        }
    }

    public func readStrings() throws -> [String] {
        let t = H5Dget_type(id)
        defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_STRING, H5Tis_variable_str(t) == 0 else {
            throw HDF5Error(path: file.path, what: "\(name) is not a fixed-length string dataset")
        }
        let width = H5Tget_size(t)
        let n = shape.first ?? 0
        var buffer = [UInt8](repeating: 0, count: n * width)
        guard H5Dread(id, t, bv_h5s_all(), bv_h5s_all(), bv_h5p_default(), &buffer) >= 0 else {
            throw HDF5Error(path: file.path, what: "read failed for strings \(name)")
        }
        return (0..<n).map { i in
            let bytes = buffer[(i * width)..<((i + 1) * width)].prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    public func setAttribute(_ name: String, _ value: String) throws {
        try HDF5Attributes.write(on: id, name: name, string: value, path: file.path)
    }

    public func stringAttribute(_ name: String) -> String? { HDF5Attributes.readString(on: id, name: name) }
}

/// Scalar attributes on any HDF5 object.
enum HDF5Attributes {
    static func write(on object: hid_t, name: String, type: hid_t, value: UnsafeRawPointer, path: String) throws {
        if H5Aexists(object, name) > 0 { H5Adelete(object, name) }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attr = H5Acreate2(object, name, type, space, bv_h5p_default(), bv_h5p_default())
        guard attr >= 0 else { throw HDF5Error(path: path, what: "cannot create attribute \(name)") }
        defer { H5Aclose(attr) }
        guard H5Awrite(attr, type, value) >= 0 else { throw HDF5Error(path: path, what: "cannot write attribute \(name)") }
    }

    static func write(on object: hid_t, name: String, string: String, path: String) throws {
        let t = H5Tcopy(bv_h5t_c_s1())
        defer { H5Tclose(t) }
        var bytes = Array(string.utf8)
        H5Tset_size(t, max(1, bytes.count))
        H5Tset_cset(t, H5T_CSET_UTF8)
        H5Tset_strpad(t, H5T_STR_NULLPAD)
        if bytes.isEmpty { bytes = [0] }
        try write(on: object, name: name, type: t, value: bytes, path: path)
    }

    static func read(on object: hid_t, name: String, type: hid_t, into value: UnsafeMutableRawPointer) -> Bool {
        guard H5Aexists(object, name) > 0 else { return false }
        let attr = H5Aopen(object, name, bv_h5p_default())
        guard attr >= 0 else { return false }
        defer { H5Aclose(attr) }
        return H5Aread(attr, type, value) >= 0
    }

    static func readString(on object: hid_t, name: String) -> String? {
        guard H5Aexists(object, name) > 0 else { return nil }
        let attr = H5Aopen(object, name, bv_h5p_default())
        guard attr >= 0 else { return nil }
        defer { H5Aclose(attr) }
        let t = H5Aget_type(attr)
        defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_STRING, H5Tis_variable_str(t) == 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: H5Tget_size(t))
        guard H5Aread(attr, t, &buffer) >= 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func names(on object: hid_t) -> [String] {
        var info = H5O_info_t()
        guard H5Oget_info2(object, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else { return [] }
        var out: [String] = []
        for i in 0..<info.num_attrs {
            let len = H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, bv_h5p_default())
            guard len > 0 else { continue }
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, bv_h5p_default())
            out.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return out
    }
}
