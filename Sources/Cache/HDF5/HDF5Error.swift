import Foundation
import Support

/// A failed HDF5 call, with the file and object it was about.
public struct HDF5Error: ReportableError, Equatable {
    public var path: String
    public var what: String

    public var description: String { "\(path): HDF5: \(what)" }
}
