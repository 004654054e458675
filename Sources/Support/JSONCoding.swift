import Foundation

/// The one JSON style of the tool's files (manifests, checkpoint metadata, logs,
/// reports): sorted keys, slashes as they are, infinite or NaN numbers (a zero
/// prediction's log10) as the strings "inf", "-inf", "nan" instead of an encoding error.
public enum JSONCoding {
    public static func encoder(pretty: Bool = false, snakeCaseKeys: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        if snakeCaseKeys { e.keyEncodingStrategy = .convertToSnakeCase }
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    public static func decoder(snakeCaseKeys: Bool = false) -> JSONDecoder {
        let d = JSONDecoder()
        if snakeCaseKeys { d.keyDecodingStrategy = .convertFromSnakeCase }
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}
