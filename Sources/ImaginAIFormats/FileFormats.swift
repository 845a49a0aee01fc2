/// The card-file formats ImaginAI reads; the raw value is the name used on the wire.
public enum CardFileFormat: String, CaseIterable, Sendable {
    case imaginai
    case aidungeon
    case aidungeonWorldInfo = "aidungeon-worldinfo"
    case sillytavern
    case characterCard = "charcard"
    case novelai
    case koboldai
    case agnai
}
