package dev.zeroinit.finetune.data;

import java.util.Locale;

/**
 * Train-time image augmentation applied during batch assembly, drawn from a seeded random stream:
 * a random crop of the image padded by {@code cropPadding} pixels on every side (the padding is the
 * value a black pixel normalises to), then a horizontal flip with probability 1/2. The shape never
 * changes.
 *
 * @param cropPadding pixels of padding for the random crop; 0 for no crop
 * @param horizontalFlip whether to flip half of the images left-right
 */
public record Augmentation(int cropPadding, boolean horizontalFlip) {
  /** No augmentation. */
  public static final Augmentation NONE = new Augmentation(0, false);

  public Augmentation {
    if (cropPadding < 0) {
      throw new IllegalArgumentException("crop padding must not be negative: " + cropPadding);
    }
  }

  /** Whether any augmentation is applied. */
  public boolean enabled() {
    return cropPadding > 0 || horizontalFlip;
  }

  /**
   * Parses a comma list: {@code none}, {@code flip}, {@code crop} (padding 4) or {@code crop=N}; for
   * example {@code crop=4,flip}.
   *
   * @throws IllegalArgumentException naming the accepted items
   */
  public static Augmentation parse(String spec) {
    int crop = 0;
    boolean flip = false;
    for (String item : spec.split(",")) {
      String it = item.trim().toLowerCase(Locale.ROOT);
      if (it.isEmpty() || it.equals("none")) {
        continue;
      }
      if (it.equals("flip") || it.equals("hflip")) {
        flip = true;
      } else if (it.equals("crop")) {
        crop = 4;
      } else if (it.startsWith("crop=") || it.startsWith("crop:")) {
        try {
          crop = Integer.parseInt(it.substring(5));
        } catch (NumberFormatException e) {
          crop = -1;
        }
        if (crop < 0) {
          throw new IllegalArgumentException("augmentation '" + item.trim()
              + "': the crop padding must be a whole number of pixels, 0 or more");
        }
      } else {
        throw new IllegalArgumentException("unknown augmentation '" + item.trim()
            + "' (expected none, flip, crop or crop=N)");
      }
    }
    return new Augmentation(crop, flip);
  }

  @Override
  public String toString() {
    if (!enabled()) {
      return "none";
    }
    String crop = cropPadding > 0 ? "crop=" + cropPadding : "";
    return horizontalFlip ? (crop.isEmpty() ? "flip" : crop + ",flip") : crop;
  }
}
