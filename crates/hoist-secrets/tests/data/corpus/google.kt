val mapsKey = "AIzaSnaWZfezCGGeM7S-DHhD3JjFv3ALf_IWkvJ"
