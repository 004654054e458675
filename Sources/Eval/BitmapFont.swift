/// A 3x5 pixel font for labels on pictures (sample ids, colour-bar ticks): digits,
/// lower-case letters (upper case is drawn as lower) and `/ _ . - : | ( ) % = +`.
enum BitmapFont {
    /// Each glyph: 5 rows of 3 bits, top row first, as a 15-character string of 0/1.
    static let glyphs: [Character: String] = [
        "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
        "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001010010010",
        "8": "111101111101111", "9": "111101111001111",
        "a": "010101111101101", "b": "110101110101110", "c": "011100100100011", "d": "110101101101110",
        "e": "111100110100111", "f": "111100110100100", "g": "011100101101011", "h": "101101111101101",
        "i": "111010010010111", "j": "001001001101010", "k": "101101110101101", "l": "100100100100111",
        "m": "101111111101101", "n": "110101101101101", "o": "010101101101010", "p": "110101110100100",
        "q": "010101101110011", "r": "110101110101101", "s": "011100010001110", "t": "111010010010010",
        "u": "101101101101111", "v": "101101101101010", "w": "101101111111101", "x": "101101010101101",
        "y": "101101010010010", "z": "111001010100111",
        "/": "001001010100100", "_": "000000000000111", ".": "000000000000010", "-": "000000111000000",
        ":": "000010000010000", "|": "010010010010010", "(": "010100100100010", ")": "010001001001010",
        "%": "101001010100101", "=": "000111000111000", "+": "000010111010000", " ": "000000000000000",
    ]

    /// Draws `text` with its top-left corner at (x, y), each font pixel `scale` pixels.
    static func draw(_ text: String, at x: Int, _ y: Int, scale: Int = 2, colour: (UInt8, UInt8, UInt8) = (0, 0, 0), on image: inout RGBImage) {
        var cx = x
        for ch in text.lowercased() {
            let bits = Array(glyphs[ch] ?? glyphs["?"] ?? "111001011000010")
            for row in 0..<5 {
                for col in 0..<3 where bits[row * 3 + col] == "1" {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let px = cx + col * scale + dx, py = y + row * scale + dy
                            if px >= 0 && px < image.width && py >= 0 && py < image.height { image[px, py] = colour }
                        }
                    }
                }
            }
            cx += 4 * scale
        }
    }

    static func width(_ text: String, scale: Int = 2) -> Int { text.count * 4 * scale }
}
