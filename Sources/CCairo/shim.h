#include <cairo.h>
#include <cairo-svg.h>
#include <cairo-pdf.h>
/* Optional: only for Canvas.resolvedFontFamily (cairo_ft_scaled_font_lock_face -> FT_Face). */
#include <cairo-ft.h>
