import Cache
import Foundation
import Ingest
import Model
import Support

/// One resolved setting as the run log records it: its value as text and where it came
/// from (a conf file, a flag, a built-in default).
public struct ResolvedSetting: Equatable, Sendable {
    public var key: String
    public var value: String
    public var origin: String

    public init(key: String, value: String, origin: String) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}
