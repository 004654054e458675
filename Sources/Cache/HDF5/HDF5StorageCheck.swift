import CHDF5
import Foundation
import Support

/// Where an object's data really comes from. HDF5 follows soft and external links and
/// reads external raw storage (`create_dataset(..., external=[('/etc/passwd', 0, N)])`)
/// without a word: a cache must store its data in itself, or in virtual sources that
/// `CacheMerge.checkSources` checked, so every dataset is opened through this check.
extension HDF5File {
    /// Why the data of `name` does not live in this file, or nil when it does: a part of the
    /// path that is not a hard link (an external link names its file and object), or raw
    /// storage in external files (named).
    func foreignStorage(of name: String) -> String? {
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += "/" + part
            var info = H5L_info_t()
            guard H5Lget_info(id, prefix, &info, bv_h5p_default()) >= 0 else { return nil }  // missing: the open reports it
            switch info.type {
            case H5L_TYPE_HARD: continue
            case H5L_TYPE_SOFT:
                return "\(prefix) is a soft link to \(quoted(linkValue(prefix, size: info.u.val_size)))"
            case H5L_TYPE_EXTERNAL:
                return "\(prefix) is an external link to \(externalTarget(prefix, size: info.u.val_size))"
            default:
                return "\(prefix) is a user-defined link (type \(info.type.rawValue))"
            }
        }
        return nil
    }

    /// The external raw-data files of an open dataset (empty when its data is in the file).
    func externalFiles(of dataset: hid_t) -> [String] {
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else { return [] }
        defer { H5Pclose(dcpl) }
        let count = H5Pget_external_count(dcpl)
        guard count > 0 else { return [] }
        return (0..<UInt32(min(count, 16))).map { i in
            var name = [CChar](repeating: 0, count: 4096)
            var offset = off_t(0)
            var size = hsize_t(0)
            guard H5Pget_external(dcpl, i, name.count, &name, &offset, &size) >= 0 else { return "?" }
            return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } + (count > 16 ? ["... (\(count) files)"] : [])
    }

    private func linkValue(_ name: String, size: Int) -> String {
        guard size > 0, size <= 1 << 16 else { return "?" }
        var buffer = [UInt8](repeating: 0, count: size + 1)
        guard H5Lget_val(id, name, &buffer, buffer.count, bv_h5p_default()) >= 0 else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    private func externalTarget(_ name: String, size: Int) -> String {
        guard size > 0, size <= 1 << 16 else { return "?" }
        var buffer = [UInt8](repeating: 0, count: size + 1)
        guard H5Lget_val(id, name, &buffer, buffer.count, bv_h5p_default()) >= 0 else { return "?" }
        var flags: UInt32 = 0
        var file: UnsafePointer<CChar>?
        var object: UnsafePointer<CChar>?
        guard H5Lunpack_elink_val(buffer, size, &flags, &file, &object) >= 0, let file, let object else { return "?" }
        return "\(quoted(String(cString: file))):\(quoted(String(cString: object)))"
    }
}
